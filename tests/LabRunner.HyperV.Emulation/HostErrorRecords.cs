using System.Management.Automation;
using LabRunner.Core.Hosting;
using LabRunner.Simulation;
using Microsoft.Management.Infrastructure;

namespace LabRunner.HyperV.Emulation;

/// <summary>What the Hyper-V module throws (Microsoft.HyperV.PowerShell.VirtualizationException); its name shows in CategoryInfo.</summary>
public sealed class VirtualizationException : Exception
{
    public VirtualizationException()
    {
    }

    public VirtualizationException(string message)
        : base(message)
    {
    }

    public VirtualizationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Which module's error style a cmdlet reports in.</summary>
public enum ErrorStyle
{
    /// <summary>Hyper-V: VirtualizationException.</summary>
    HyperV,
    /// <summary>NetNat, NetTCPIP, NetAdapter (CDXML over CIM): CimException.</summary>
    Cim,
}

/// <summary>
/// The one place where the simulated host's refusals become PowerShell error records. The error id is
/// the one Windows reports (so FullyQualifiedErrorId reads <c>ID,CMDLET-TYPE</c>: the id matches
/// Windows, the part after the comma names the emulating class); the category comes from the id where
/// Windows' is known, else from LabRunner's <see cref="HostErrorKind"/>.
/// </summary>
public static class HostErrorRecords
{
    public static ErrorRecord From(SimulatedHostException refusal, ErrorStyle style, object? target)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        Exception exception = style == ErrorStyle.Cim
            ? new CimException(refusal.Message, refusal)
            : new VirtualizationException(refusal.Message, refusal);
        return new ErrorRecord(exception, refusal.ErrorId, Category(refusal), target);
    }

    public static ErrorCategory Category(SimulatedHostException refusal)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        return refusal.ErrorId switch
        {
            // Seen in Windows output: New-NetNat / New-NetIPAddress 87 is InvalidArgument, 5010 is NotSpecified,
            // Get-VM of a missing VM is InvalidParameter / InvalidArgument.
            WindowsErrors.ParameterIncorrectId => ErrorCategory.InvalidArgument,
            WindowsErrors.ObjectExists => ErrorCategory.NotSpecified,
            WindowsErrors.InvalidParameter => ErrorCategory.InvalidArgument,
            WindowsErrors.InvalidState => ErrorCategory.InvalidOperation,
            WindowsErrors.ObjectNotFound => ErrorCategory.ObjectNotFound,
            WindowsErrors.ElementNotFound => ErrorCategory.ObjectNotFound,
            WindowsErrors.SharingViolation => ErrorCategory.ResourceBusy,
            WindowsErrors.ObjectInUse => ErrorCategory.ResourceBusy,
            _ when refusal.ErrorId.StartsWith("CmdletizationQuery_NotFound", StringComparison.Ordinal) => ErrorCategory.ObjectNotFound,
            _ => refusal.Kind switch
            {
                HostErrorKind.NotFound => ErrorCategory.ObjectNotFound,
                HostErrorKind.AlreadyExists => ErrorCategory.ResourceExists,
                HostErrorKind.InvalidState => ErrorCategory.InvalidOperation,
                HostErrorKind.Conflict => ErrorCategory.InvalidOperation,
                HostErrorKind.AccessDenied => ErrorCategory.PermissionDenied,
                HostErrorKind.Unavailable => ErrorCategory.ResourceUnavailable,
                _ => ErrorCategory.NotSpecified,
            },
        };
    }

    /// <summary>The host file itself cannot be used: every cmdlet fails the same way.</summary>
    public static ErrorRecord From(HostUnavailableException unavailable)
    {
        ArgumentNullException.ThrowIfNull(unavailable);
        return new ErrorRecord(unavailable, "SimulatedHostUnavailable", ErrorCategory.ResourceUnavailable, null);
    }

    /// <summary>A parameter value the cmdlet cannot use (not a host rule): bad address text, an unmodelled option.</summary>
    public static ErrorRecord InvalidArgument(string errorId, string message, object? target) =>
        new(new ArgumentException(message), errorId, ErrorCategory.InvalidArgument, target);
}
