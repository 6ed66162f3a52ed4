using LabRunner.Core.Errors;
using LabRunner.Core.Hosting;

namespace LabRunner.Simulation;

/// <summary>
/// The simulated host refused a change, as Windows would. <see cref="Kind"/> is LabRunner's category;
/// <see cref="ErrorId"/> is the error id the real module reports (the part of a FullyQualifiedErrorId
/// before the comma, e.g. <c>InvalidState</c> or <c>Windows System Error 87</c>), so the emulated
/// cmdlets can reproduce Windows' error records.
/// </summary>
public sealed class SimulatedHostException : LabRunnerException
{
    public SimulatedHostException(HostErrorKind kind, string errorId, string message)
        : base(ErrorCategory.HostFailure, message)
    {
        Kind = kind;
        ErrorId = errorId;
    }

    public SimulatedHostException()
        : this(HostErrorKind.Failed, WindowsErrors.Unspecified, "The simulated host refused the operation.")
    {
    }

    public SimulatedHostException(string message)
        : this(HostErrorKind.Failed, WindowsErrors.Unspecified, message)
    {
    }

    public SimulatedHostException(string message, Exception innerException)
        : base(ErrorCategory.HostFailure, message, innerException)
    {
        Kind = HostErrorKind.Failed;
        ErrorId = WindowsErrors.Unspecified;
    }

    public HostErrorKind Kind { get; }

    public string ErrorId { get; }

    public HostError Error => new(Kind, Message);
}
