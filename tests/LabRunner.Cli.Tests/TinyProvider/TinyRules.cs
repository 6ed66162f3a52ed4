using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;

namespace LabRunner.Cli.Tests.TinyProvider;

/// <summary>A host that names everything its own way, so a test can see its rules were used (and no other provider's).</summary>
internal sealed class TinyRules : HostRules
{
    public static TinyRules Instance { get; } = new();

    public override string Name => TinyProviderDescriptor.ProviderName;

    public override string SwitchName(string lab, NetworkDefinition network) => $"tiny-{lab}-{network.Name}";

    /// <summary>The lab's name last: no other provider names VMs so.</summary>
    public override string VmName(string lab, string vm) => $"{vm}.{lab}";

    public override string? LabfileVmName(string lab, string hostName) =>
        hostName.EndsWith("." + lab, StringComparison.OrdinalIgnoreCase) && hostName.Length > lab.Length + 1 ? hostName[..^(lab.Length + 1)] : null;

    public override string HostInterfaceName(string switchName) => switchName + "-host";

    public override NatModel Nat => NatModel.PerNetwork;

    public override bool SecureBootTemplates => false;

    public override bool AdaptersHotPlug(int generation) => false;

    public override bool SeedChangeWhileRunning => false;

    public override string OverlayExtension(string boxPath) => ".tiny";

    public override StringComparer PathComparer => StringComparer.Ordinal;

    public override string ForwardedPortNote => "tiny hosts forward nothing anyone can reach.";
}
