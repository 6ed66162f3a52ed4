using LabRunner.Core.Hosting;
using LabRunner.Core.Providers;

namespace LabRunner.Providers.HyperV;

/// <summary>The Hyper-V provider as the catalog lists it: this Windows host, its rules, VHDX/VHD boxes.</summary>
public sealed class HyperVProviderDescriptor : ProviderDescriptor
{
    public static HyperVProviderDescriptor Instance { get; } = new();

    private HyperVProviderDescriptor()
    {
    }

    /// <summary>Hyper-V boots VHDX and VHD disks (others are converted to VHDX at add time); hyperv boxes need no conversion.</summary>
    public static BoxSupport BoxSupport { get; } = new("hyperv", ["vhdx", "vhd"], ["hyperv", "libvirt", "qemu"]);

    public override string Name => "hyperv";

    public override string Summary => "this Windows host";

    public override string Title => "Hyper-V";

    public override HostRules Rules => HyperVRules.Instance;

    public override BoxSupport Boxes => BoxSupport;

    public override string DefaultWhen => "hyperv on Windows";

    public override bool HomeHere => OperatingSystem.IsWindows();

    public override string? WhyNotDefaultHere(ProviderEnvironment environment) =>
        OperatingSystem.IsWindows() ? null : "Hyper-V runs only on Windows";

    /// <summary>
    /// Windows PowerShell and local WMI. The engine's lock is one file for the whole machine,
    /// <c>%ProgramData%\LabRunner\host.lock</c>: every lab on it shares the one NetNat and its host ports.
    /// </summary>
    public override ProviderHost Open(ProviderEnvironment environment)
    {
        if (!OperatingSystem.IsWindows())
            throw new ProviderException("the hyperv provider needs Windows with Hyper-V; use --provider qemu or --provider simulated on this machine");
        var programData = Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData);
        return new ProviderHost(HyperVProvider.ForLocalHost(trace: environment.Trace), Path.Combine(programData, "LabRunner", "host.lock"));
    }
}
