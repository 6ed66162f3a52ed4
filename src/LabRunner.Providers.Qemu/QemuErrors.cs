using LabRunner.Core.Errors;
using LabRunner.Core.Hosting;
using LabRunner.Providers.Qemu.Qmp;
using LabRunner.HostCommon.Running;

namespace LabRunner.Providers.Qemu;

/// <summary>
/// Every failure of the QEMU provider becomes a <see cref="HostError"/> here and nowhere else: tools that are
/// missing, commands that exit non-zero (their stderr, which the runner asks for in the C locale, tells the
/// errno), QMP errors and file errors.
/// </summary>
public static class QemuErrors
{
    public const string SudoHint = "Run lab with sudo: Linux networks (bridges, taps, nftables) need CAP_NET_ADMIN.";

    /// <summary>The Debian package of each tool the provider runs.</summary>
    public static string PackageOf(string tool) => Path.GetFileName(tool) switch
    {
        "qemu-system-x86_64" => "qemu-system-x86",
        "qemu-img" => "qemu-utils",
        "nft" => "nftables",
        "ip" or "bridge" => "iproute2",
        "sysctl" => "procps",
        var other => other,
    };

    /// <summary>The kind of a failed command, from the errno text in its stderr.</summary>
    public static HostErrorKind KindOf(string standardError)
    {
        var text = standardError ?? "";
        bool Has(string s) => text.Contains(s, StringComparison.OrdinalIgnoreCase);
        if (Has("Operation not permitted") || Has("Permission denied") || Has("must be root") || Has("EPERM")) return HostErrorKind.AccessDenied;
        if (Has("File exists") || Has("already assigned") || Has("already exists")) return HostErrorKind.AlreadyExists;
        if (Has("Cannot find device") || Has("does not exist") || Has("No such file or directory") || Has("No such device")) return HostErrorKind.NotFound;
        if (Has("Device or resource busy") || Has("Resource busy")) return HostErrorKind.InvalidState;
        return HostErrorKind.Failed;
    }

    /// <summary>A command that exited non-zero while doing <paramref name="operation"/>.</summary>
    public static HostError FromCommand(HostOperation operation, HostCommandFailedException failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var kind = KindOf(failure.Result.StandardError);
        var stderr = string.IsNullOrWhiteSpace(failure.Result.StandardError) ? "no error output" : OneLine(failure.Result.StandardError);
        var hint = kind == HostErrorKind.AccessDenied ? " " + SudoHint : "";
        return new HostError(kind, $"{operation.Describe()}: {failure.Command.Executable} exited with code {failure.Result.ExitCode}: {stderr}.{hint}");
    }

    /// <summary>A tool that could not be started: not installed (or not executable).</summary>
    public static HostError FromStart(HostCommandStartException failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var tool = failure.Command.ToArgv()[0];
        return new HostError(HostErrorKind.Unavailable, $"'{tool}' could not be started ({failure.InnerException?.Message ?? failure.Message}); install it with: apt-get install -y {PackageOf(tool)}");
    }

    public static HostError FromQmp(HostOperation operation, QmpException failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var kind = failure is QmpConnectionClosedException ? HostErrorKind.InvalidState : HostErrorKind.Failed;
        return new HostError(kind, $"{operation.Describe()}: {OneLine(failure.Message)}");
    }

    /// <summary>A file the provider reads or writes (the registry, a VM's folder, the UEFI variables).</summary>
    public static HostError FromFile(HostOperation? operation, string path, Exception failure)
    {
        var kind = failure is UnauthorizedAccessException ? HostErrorKind.AccessDenied
            : failure is FileNotFoundException or DirectoryNotFoundException ? HostErrorKind.NotFound
            : HostErrorKind.Failed;
        var what = operation is null ? "" : operation.Describe() + ": ";
        var hint = kind == HostErrorKind.AccessDenied ? " Run lab with sudo: the QEMU provider's VM registry is host-wide." : "";
        return new HostError(kind, $"{what}'{path}' cannot be used: {FileFailure.Reason(failure)}.{hint}");
    }

    /// <summary>The provider refuses an operation (a rule of its own, or a state it cannot act in).</summary>
    public static HostError Refused(HostErrorKind kind, HostOperation operation, string why) => new(kind, $"{operation.Describe()}: {why}");

    public static string OneLine(string text) =>
        string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}

/// <summary>An operation the provider refuses, with the error to report; thrown inside the provider and caught per operation.</summary>
internal sealed class QemuOperationException(HostError error) : LabRunnerException(ErrorCategory.HostFailure, error.Message)
{
    public HostError Error { get; } = error;
}
