namespace LabRunner.Providers.Qemu.Acceleration;

/// <summary>QEMU's accelerators LabRunner uses (<c>-accel kvm|tcg</c>).</summary>
public enum QemuAccelerator
{
    /// <summary>Hardware virtualisation through <c>/dev/kvm</c>.</summary>
    Kvm,

    /// <summary>QEMU's own translator: slow, works everywhere.</summary>
    Tcg,
}

/// <summary>What the host says about acceleration; gathered by an <see cref="IAcceleratorProbe"/>.</summary>
/// <param name="KvmUsable">Whether <c>/dev/kvm</c> can be opened for reading and writing.</param>
/// <param name="KvmUnusableReason">Why not, when it cannot (for messages).</param>
/// <param name="PvmLoaded">Whether <c>/sys/module/kvm_pvm</c> exists: then <c>/dev/kvm</c> is a PVM hypervisor that hangs stock guest kernels.</param>
/// <param name="Override">The value of <c>LABRUNNER_QEMU_ACCEL</c>, or null when unset.</param>
public sealed record AcceleratorFacts(bool KvmUsable, string? KvmUnusableReason, bool PvmLoaded, string? Override);

/// <summary>The accelerator to use and why, said once in the output.</summary>
public sealed record AcceleratorChoice(QemuAccelerator Accelerator, string Reason)
{
    /// <summary>The value of <c>-accel</c>.</summary>
    public string QemuName => Accelerator == QemuAccelerator.Kvm ? "kvm" : "tcg";
}

/// <summary>Either a choice or, for an override that cannot be honoured, the error to report.</summary>
public sealed record AcceleratorDecision(AcceleratorChoice? Choice, string? Error)
{
    public static AcceleratorDecision Chosen(QemuAccelerator accelerator, string reason) => new(new AcceleratorChoice(accelerator, reason), null);

    public static AcceleratorDecision Failed(string error) => new(null, error);
}

/// <summary>
/// Chooses between KVM and TCG: KVM when <c>/dev/kvm</c> is usable and is not PVM, else TCG;
/// <c>LABRUNNER_QEMU_ACCEL=kvm|tcg</c> overrides the automatic choice.
/// </summary>
public static class AcceleratorPolicy
{
    public const string OverrideVariable = "LABRUNNER_QEMU_ACCEL";

    public static AcceleratorDecision Choose(AcceleratorFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var requested = facts.Override?.Trim();
        if (string.IsNullOrEmpty(requested)) return Automatic(facts);

        if (requested.Equals("tcg", StringComparison.OrdinalIgnoreCase))
            return AcceleratorDecision.Chosen(QemuAccelerator.Tcg, $"TCG (software emulation), as {OverrideVariable}=tcg asks");

        if (requested.Equals("kvm", StringComparison.OrdinalIgnoreCase))
        {
            if (!facts.KvmUsable)
                return AcceleratorDecision.Failed(
                    $"{OverrideVariable}=kvm, but /dev/kvm is not usable ({facts.KvmUnusableReason ?? "cannot be opened for read/write"}). " +
                    $"Load the kvm module and give this user access to /dev/kvm, or set {OverrideVariable}=tcg.");
            return AcceleratorDecision.Chosen(QemuAccelerator.Kvm, facts.PvmLoaded
                ? $"KVM, as {OverrideVariable}=kvm asks, although /dev/kvm is PVM (/sys/module/kvm_pvm), which hangs stock guest kernels"
                : $"KVM, as {OverrideVariable}=kvm asks");
        }

        return AcceleratorDecision.Failed(OverrideError(facts.Override)!);
    }

    /// <summary>Why <paramref name="value"/> (of <c>LABRUNNER_QEMU_ACCEL</c>) names no accelerator, or null when it is unset, kvm or tcg.</summary>
    public static string? OverrideError(string? value)
    {
        var requested = value?.Trim();
        if (string.IsNullOrEmpty(requested) || requested.Equals("tcg", StringComparison.OrdinalIgnoreCase) || requested.Equals("kvm", StringComparison.OrdinalIgnoreCase))
            return null;
        return $"{OverrideVariable}='{value}' is not an accelerator: use kvm or tcg, or unset it to choose automatically.";
    }

    private static AcceleratorDecision Automatic(AcceleratorFacts facts)
    {
        if (facts.PvmLoaded)
            return AcceleratorDecision.Chosen(QemuAccelerator.Tcg,
                $"TCG (software emulation): /dev/kvm is PVM (/sys/module/kvm_pvm exists), which hangs stock guest kernels; {OverrideVariable}=kvm overrides");
        if (!facts.KvmUsable)
            return AcceleratorDecision.Chosen(QemuAccelerator.Tcg,
                $"TCG (software emulation): /dev/kvm is not usable ({facts.KvmUnusableReason ?? "cannot be opened for read/write"})");
        return AcceleratorDecision.Chosen(QemuAccelerator.Kvm, "KVM (/dev/kvm)");
    }
}
