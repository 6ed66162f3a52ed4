using System.Globalization;
using LabRunner.Engine.Guests;

namespace LabRunner.Cli.Rendering;

/// <summary>
/// Guest progress as plain lines, each prefixed by its VM: a phase change with the time since the VM's
/// wait began, and every line of provisioner output as it comes. Safe when VMs report at once.
/// </summary>
public sealed class GuestLineReporter(CliEnvironment env, bool quiet) : IGuestReporter
{
    private readonly Lock _gate = new();

    public void Phase(string vm, GuestPhase phase, TimeSpan elapsed)
    {
        if (quiet || phase is GuestPhase.Failed or GuestPhase.Unreachable) return;
        lock (_gate) env.Stdout.WriteLine($"    {vm}: {Name(phase)} ({elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s)");
    }

    public void Output(string vm, string line, bool error)
    {
        if (quiet) return;
        lock (_gate) (error ? env.Error : env.Stdout).WriteLine($"    {vm}| {line}");
    }

    public static string Name(GuestPhase phase) => phase switch
    {
        GuestPhase.Booting => "booting",
        GuestPhase.Network => "network",
        GuestPhase.CloudInit => "cloud-init",
        GuestPhase.Provisioning => "provisioning",
        GuestPhase.Ready => "ready",
        GuestPhase.Failed => "failed",
        _ => "not reachable",
    };
}
