using LabRunner.Core.Hosting;
using LabRunner.Providers.Qemu.Qmp;
using LabRunner.Providers.Qemu.Vms;

namespace LabRunner.Providers.Qemu.Capabilities;

/// <summary>A hard reset of a running VM through its QMP monitor (<c>system_reset</c>): the reset button, no guest involved.</summary>
public sealed class QemuVmReset(VmRegistry registry, IVmProcesses processes) : IVmReset
{
    public string How => "QMP system_reset";

    public async Task ResetAsync(string hostVmName, CancellationToken cancellationToken)
    {
        if (registry.Find(hostVmName) is not { } entry || processes.FindRunning(registry.PidFile(entry.Name)) is null)
            throw new QmpException($"VM '{hostVmName}' does not run, so it cannot be reset");
        await processes.ExecuteAsync(registry.QmpSocket(entry.Name), "system_reset", cancellationToken).ConfigureAwait(false);
    }
}
