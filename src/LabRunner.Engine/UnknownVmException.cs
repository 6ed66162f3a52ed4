using LabRunner.Core.Errors;

namespace LabRunner.Engine;

/// <summary>A VM named on the command line that the Labfile does not have (or, for 'up', one that is only left on the host).</summary>
public sealed class UnknownVmException(string message) : LabRunnerException(ErrorCategory.Usage, message);
