using LabRunner.Core.Hosting;
using LabRunner.Core.Providers;
using LabRunner.Providers.Qemu.Acceleration;

namespace LabRunner.Providers.Qemu;

/// <summary>The QEMU provider as the catalog lists it: this Linux host, its rules, boxes of any format QEMU reads.</summary>
public sealed class QemuProviderDescriptor : ProviderDescriptor
{
    /// <summary>The program whose presence on the PATH makes QEMU the default on Linux.</summary>
    public const string Emulator = "qemu-system-x86_64";

    public static QemuProviderDescriptor Instance { get; } = new();

    private QemuProviderDescriptor()
    {
    }

    /// <summary>QEMU boots every disk format as it is; libvirt and qemu boxes carry QEMU's own disks.</summary>
    public static BoxSupport BoxSupport { get; } = new("qemu", ["qcow2", "raw", "vhdx", "vhd"], ["libvirt", "qemu", "hyperv"]);

    public override string Name => "qemu";

    public override string Summary => "this Linux host";

    public override string Title => "QEMU/KVM";

    public override HostRules Rules => QemuRules.Instance;

    public override BoxSupport Boxes => BoxSupport;

    public override string DefaultWhen => "qemu on Linux with QEMU";

    public override bool HomeHere => !OperatingSystem.IsWindows();

    public override string? WhyNotDefaultHere(ProviderEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return OperatingSystem.IsLinux() && OnPath(Emulator, environment.GetVariable("PATH"))
            ? null
            : $"QEMU is not installed here (apt-get install -y qemu-system-x86 qemu-utils ovmf for --provider {Name})";
    }

    /// <summary>
    /// The registry of <c>LABRUNNER_QEMU_STATE</c>, commands in this network namespace. The engine's lock is per network
    /// namespace in a fixed folder (/run/labrunner), whatever registry a lab uses: see <see cref="QemuProvider.LockPath"/>.
    /// </summary>
    public override ProviderHost Open(ProviderEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (!OperatingSystem.IsLinux())
            throw new ProviderException("the qemu provider needs Linux with QEMU; use --provider hyperv on Windows or --provider simulated");
        // A value that names no accelerator is a usage error before anything is read, not a warning in the host's description.
        if (AcceleratorPolicy.OverrideError(environment.GetVariable(AcceleratorPolicy.OverrideVariable)) is { } accelError)
            throw new ProviderException(accelError);
        var qemu = QemuProvider.ForLocalHost(environment.GetVariable, environment.Trace);
        return new ProviderHost(qemu, qemu.LockPath);
    }

    private static bool OnPath(string tool, string? path) =>
        (path ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Any(d => File.Exists(Path.Combine(d, tool)));
}
