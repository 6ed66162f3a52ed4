using LabRunner.Providers.Qemu.Acceleration;
using LabRunner.Providers.Qemu.CommandLine;
using LabRunner.HostCommon.Running;
using LabRunner.Providers.Qemu.Vms;

namespace LabRunner.Providers.Qemu;

/// <summary>What a <see cref="QemuProvider"/> works with: the registry, how it runs commands and where.</summary>
/// <param name="Registry">The host-wide VM registry.</param>
/// <param name="Runner">Runs ip, nft, sysctl, qemu-img and qemu-system-x86_64.</param>
public sealed record QemuProviderOptions(VmRegistry Registry, IHostCommandRunner Runner)
{
    /// <summary>Checks the forward chains of other tables before NAT changes; <c>off</c> skips the check (the user allowed LabRunner's bridges there).</summary>
    public const string ForwardCheckVariable = "LABRUNNER_QEMU_FORWARD_CHECK";

    /// <summary>Every command runs in this network namespace (<c>ip netns exec</c>); null for the caller's own. Tests use it.</summary>
    public string? NetworkNamespace { get; init; }

    public IAcceleratorProbe AcceleratorProbe { get; init; } = new LinuxAcceleratorProbe();

    public IVmProcesses Processes { get; init; } = new LinuxVmProcesses();

    /// <summary>The virtiofsd processes of shared folders (<see cref="LinuxShareDaemons"/> unless a test fakes them).</summary>
    public IShareDaemons ShareDaemons { get; init; } = new LinuxShareDaemons();

    /// <summary>The virtiofsd program (<c>LABRUNNER_VIRTIOFSD</c> for the local host; Debian 12's by default).</summary>
    public string Virtiofsd { get; init; } = QemuCommands.DefaultVirtiofsd;

    /// <summary>How long a share's virtiofsd may take to open its socket before the VM's start fails.</summary>
    public TimeSpan ShareStartTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public string OvmfCode { get; init; } = QemuCommandLine.DefaultOvmfCode;

    public string OvmfVarsTemplate { get; init; } = QemuCommandLine.DefaultOvmfVarsTemplate;

    public string HostName { get; init; } = Environment.MachineName;

    /// <summary>How often a stopping VM is checked.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long a snapshot job (QMP <c>snapshot-save</c>, <c>-load</c>, <c>-delete</c>) may take: the vmstate of a large guest is written to disk.</summary>
    public TimeSpan SnapshotJobTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The clock snapshot jobs are timed by.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>How long a turned-off VM (QMP <c>quit</c>) may take to exit before it is killed.</summary>
    public TimeSpan TurnOffTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The host-wide folder of the per-network-namespace locks (<see cref="Network.NetnsLock"/>): fixed, so that labs with
    /// different registries still share them. Tests point it at a folder of their own.
    /// </summary>
    public string LockDirectory { get; init; } = Network.NetnsLock.DefaultDirectory;

    /// <summary>How long a change to LabRunner's nft table waits for another one in the same namespace.</summary>
    public TimeSpan NftLockTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Whether NAT changes are refused while another table drops forwarded packets (Docker's FORWARD policy).</summary>
    public bool CheckForwardPolicy { get; init; } = true;
}
