namespace LabRunner.Providers.Qemu.Acceleration;

/// <summary>Gathers the <see cref="AcceleratorFacts"/> of the host.</summary>
public interface IAcceleratorProbe
{
    AcceleratorFacts Probe();
}

/// <summary>
/// Probes a Linux host: opens <c>/dev/kvm</c> read/write (what QEMU does; mode bits and group
/// membership alone do not tell), checks for <c>/sys/module/kvm_pvm</c> and reads <c>LABRUNNER_QEMU_ACCEL</c>.
/// </summary>
public sealed class LinuxAcceleratorProbe(string kvmDevice = "/dev/kvm", string pvmModule = "/sys/module/kvm_pvm") : IAcceleratorProbe
{
    public AcceleratorFacts Probe()
    {
        var (usable, reason) = TryOpen(kvmDevice);
        return new AcceleratorFacts(usable, reason, Directory.Exists(pvmModule), Environment.GetEnvironmentVariable(AcceleratorPolicy.OverrideVariable));
    }

    private static (bool Usable, string? Reason) TryOpen(string device)
    {
        if (!File.Exists(device)) return (false, $"{device} does not exist");
        try
        {
            using var handle = File.OpenHandle(device, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            return (true, null);
        }
        catch (UnauthorizedAccessException)
        {
            return (false, $"no read/write permission on {device}");
        }
        catch (IOException e)
        {
            return (false, $"{device}: {e.Message}");
        }
    }
}
