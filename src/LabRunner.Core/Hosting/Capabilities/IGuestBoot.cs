namespace LabRunner.Core.Hosting;

/// <summary>
/// A capability: a started VM really boots a guest that can be waited for and logged in to (Hyper-V, QEMU). A
/// provider without it (the simulated host) has VMs with no guest inside, so 'lab up' waits for none.
/// </summary>
public interface IGuestBoot;
