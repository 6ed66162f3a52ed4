using LabRunner.Core.Hosting;
using LabRunner.Providers.HyperV.Cim;
using Microsoft.Management.Infrastructure;

namespace LabRunner.Providers.HyperV;

/// <summary>
/// Every failure of the Hyper-V provider becomes a <see cref="HostError"/> here and nowhere else:
/// PowerShell errors (ErrorCategory, FullyQualifiedErrorId), processes that die or cannot start,
/// and CIM status codes. Messages are localized by Windows, so they are reported, never matched.
/// </summary>
public static class HyperVErrors
{
    /// <summary>The kind of a PowerShell error, from its ErrorCategory name and FullyQualifiedErrorId.</summary>
    /// <remarks>
    /// The id is checked first because it is more precise than the category: a missing module shows
    /// up as CommandNotFoundException (category ObjectNotFound, which would otherwise read as "the
    /// object is not there"), and CIM cmdlets report Win32/MI codes in the id, e.g.
    /// <c>Windows System Error 5,New-NetNat</c> for ERROR_ACCESS_DENIED or <c>MI RESULT 2,...</c>
    /// for MI_RESULT_ACCESS_DENIED.
    /// </remarks>
    public static HostErrorKind KindOf(string category, string fullyQualifiedErrorId)
    {
        var id = fullyQualifiedErrorId ?? "";
        // Unqualified names that resolve to nothing, module-qualified names (Hyper-V\New-VM) whose
        // module cannot be loaded, and explicit imports: all mean the module is not there.
        if (id.StartsWith("CommandNotFoundException", StringComparison.Ordinal)
            || id.StartsWith("CouldNotAutoLoadModule", StringComparison.OrdinalIgnoreCase)
            || id.StartsWith("CouldNotAutoloadMatchingModule", StringComparison.OrdinalIgnoreCase)
            || id.StartsWith("Modules_ModuleNotFound", StringComparison.Ordinal))
            return HostErrorKind.Unavailable;
        if (id.StartsWith("Windows System Error 5,", StringComparison.Ordinal)
            || id.StartsWith("MI RESULT 2,", StringComparison.Ordinal)
            || id.Contains("0x80070005", StringComparison.OrdinalIgnoreCase)
            || id.StartsWith("UnauthorizedAccess", StringComparison.Ordinal))
            return HostErrorKind.AccessDenied;

        return category switch
        {
            "PermissionDenied" or "SecurityError" or "AuthenticationError" => HostErrorKind.AccessDenied,
            "ObjectNotFound" => HostErrorKind.NotFound,
            "ResourceExists" => HostErrorKind.AlreadyExists,
            "InvalidOperation" or "ResourceBusy" or "ResourceUnavailable" => HostErrorKind.InvalidState,
            "NotInstalled" or "NotEnabled" => HostErrorKind.Unavailable,
            // Conflict is not inferred: the cmdlets report host rule violations (a second NetNat, a
            // port mapped twice) as generic errors; the planner checks those rules before applying.
            _ => HostErrorKind.Failed,
        };
    }

    /// <summary>An operation's <c>fail</c> line.</summary>
    public static HostError FromPowerShell(HostOperation operation, string category, string fullyQualifiedErrorId, string message)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return FromPowerShell(operation.Describe(), category, fullyQualifiedErrorId, message);
    }

    /// <summary>The <c>fail</c> line of a script that does <paramref name="what"/> (a checkpoint call: "checkpoint 's1' of VM 'x'").</summary>
    public static HostError FromPowerShell(string what, string category, string fullyQualifiedErrorId, string message)
    {
        var kind = KindOf(category, fullyQualifiedErrorId);
        var hint = kind switch
        {
            HostErrorKind.AccessDenied => " Run lab from an elevated prompt (Administrator), or as a member of Hyper-V Administrators with network rights.",
            HostErrorKind.Unavailable => " Is the Hyper-V feature (with its PowerShell module) installed and enabled?",
            _ => "",
        };
        return new HostError(kind, $"{what}: {OneLine(message)} ({category}, {fullyQualifiedErrorId}).{hint}");
    }

    /// <summary>A PowerShell process that ended without a <c>fail</c> line before the batch was done.</summary>
    public static HostError FromProcessExit(string executable, int exitCode, string standardError, HostOperation? next)
    {
        var what = next is null ? "" : $" before finishing '{next.Describe()}'";
        var stderr = string.IsNullOrWhiteSpace(standardError) ? "no error output" : OneLine(standardError);
        return new HostError(HostErrorKind.Failed, $"{executable} exited with code {exitCode}{what}: {stderr}");
    }

    /// <summary>PowerShell could not be started at all.</summary>
    public static HostError FromStartFailure(string executable, Exception exception) =>
        new(HostErrorKind.Unavailable, $"Could not start {executable}: {exception.Message}");

    /// <summary>A batch the renderer refused (an object name that would act as a wildcard pattern).</summary>
    public static HostError FromRefusedScript(ArgumentException exception) =>
        new(HostErrorKind.Failed, exception.Message);

    /// <summary>What an MI_Result status code (CimException.NativeErrorCode) means for reading the host.</summary>
    public static CimFailure CimFailureOf(NativeErrorCode code) => code switch
    {
        NativeErrorCode.AccessDenied => CimFailure.AccessDenied,
        NativeErrorCode.InvalidNamespace => CimFailure.InvalidNamespace,
        NativeErrorCode.InvalidClass => CimFailure.InvalidClass,
        NativeErrorCode.NotSupported => CimFailure.NotSupported,
        NativeErrorCode.ServerIsShuttingDown or NativeErrorCode.ServerLimitsExceeded => CimFailure.ServiceUnavailable,
        _ => CimFailure.Failed,
    };

    /// <summary>A CIM query that failed, from the CIM status code (MI_Result / WBEM status).</summary>
    public static HostError FromCim(CimQueryException exception)
    {
        var where = $"{exception.Namespace}:{exception.ClassName}";
        return exception.Failure switch
        {
            CimFailure.AccessDenied => new HostError(HostErrorKind.AccessDenied,
                $"Access denied reading {where}. Run lab from an elevated prompt, or as a member of Hyper-V Administrators."),
            CimFailure.InvalidNamespace or CimFailure.InvalidClass when exception.Namespace.Equals(CimClasses.Virtualization, StringComparison.OrdinalIgnoreCase) =>
                new HostError(HostErrorKind.Unavailable, $"Hyper-V is not available on this host ({where} does not exist): enable the Hyper-V feature and its management tools."),
            CimFailure.InvalidNamespace or CimFailure.InvalidClass =>
                new HostError(HostErrorKind.Unavailable, $"{where} does not exist on this host: WinNAT and the NetAdapter/NetTCPIP providers need Windows 10 or Windows Server 2016 or later."),
            CimFailure.NotSupported => new HostError(HostErrorKind.Unavailable, $"{where} is not supported on this host: {OneLine(exception.Message)}"),
            CimFailure.ServiceUnavailable => new HostError(HostErrorKind.Unavailable,
                $"The management service behind {where} is not answering (is the Hyper-V Virtual Machine Management service running?): {OneLine(exception.Message)}"),
            _ => new HostError(HostErrorKind.Failed, $"Reading {where} failed: {OneLine(exception.Message)}"),
        };
    }

    private static string OneLine(string text) =>
        string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
