using LabRunner.Providers.Qemu.Acceleration;

namespace LabRunner.Providers.Qemu.Tests.Acceleration;

public class AcceleratorPolicyTests
{
    // Every combination of the three facts without an override: KVM only when usable and not PVM.
    [Theory]
    [InlineData(true, false, QemuAccelerator.Kvm)]
    [InlineData(true, true, QemuAccelerator.Tcg)]
    [InlineData(false, false, QemuAccelerator.Tcg)]
    [InlineData(false, true, QemuAccelerator.Tcg)]
    public void Auto_chooses_kvm_only_when_dev_kvm_is_usable_and_not_pvm(bool kvmUsable, bool pvm, QemuAccelerator expected)
    {
        foreach (var unset in new[] { null, "", "  " })
        {
            var decision = AcceleratorPolicy.Choose(new AcceleratorFacts(kvmUsable, kvmUsable ? null : "no read/write permission on /dev/kvm", pvm, unset));

            Assert.Null(decision.Error);
            Assert.Equal(expected, decision.Choice!.Accelerator);
        }
    }

    [Fact]
    public void Auto_says_why_it_falls_back_to_tcg_on_pvm()
    {
        var decision = AcceleratorPolicy.Choose(new AcceleratorFacts(true, null, true, null));

        Assert.Contains("kvm_pvm", decision.Choice!.Reason, StringComparison.Ordinal);
        Assert.Equal("tcg", decision.Choice.QemuName);
    }

    [Fact]
    public void Auto_says_why_dev_kvm_is_not_usable()
    {
        var decision = AcceleratorPolicy.Choose(new AcceleratorFacts(false, "/dev/kvm does not exist", false, null));

        Assert.Contains("/dev/kvm does not exist", decision.Choice!.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public void Tcg_override_is_honoured_whatever_the_host(bool kvmUsable, bool pvm)
    {
        foreach (var value in new[] { "tcg", "TCG", " tcg " })
        {
            var decision = AcceleratorPolicy.Choose(new AcceleratorFacts(kvmUsable, null, pvm, value));

            Assert.Equal(QemuAccelerator.Tcg, decision.Choice!.Accelerator);
            Assert.Contains("LABRUNNER_QEMU_ACCEL=tcg", decision.Choice.Reason, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Kvm_override_is_honoured_when_dev_kvm_is_usable_even_on_pvm_with_a_warning(bool pvm)
    {
        var decision = AcceleratorPolicy.Choose(new AcceleratorFacts(true, null, pvm, "kvm"));

        Assert.Equal(QemuAccelerator.Kvm, decision.Choice!.Accelerator);
        Assert.Equal(pvm, decision.Choice.Reason.Contains("hangs", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Kvm_override_without_a_usable_dev_kvm_is_an_error_that_names_the_cause(bool pvm)
    {
        var decision = AcceleratorPolicy.Choose(new AcceleratorFacts(false, "no read/write permission on /dev/kvm", pvm, "kvm"));

        Assert.Null(decision.Choice);
        Assert.Contains("no read/write permission on /dev/kvm", decision.Error, StringComparison.Ordinal);
        Assert.Contains("LABRUNNER_QEMU_ACCEL=tcg", decision.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hvf")]
    [InlineData("kvm,tcg")]
    [InlineData("auto")]
    public void An_unknown_override_is_an_error_listing_the_valid_values(string value)
    {
        var decision = AcceleratorPolicy.Choose(new AcceleratorFacts(true, null, false, value));

        Assert.Null(decision.Choice);
        Assert.Contains($"'{value}'", decision.Error, StringComparison.Ordinal);
        Assert.Contains("kvm or tcg", decision.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_linux_probe_reports_a_missing_device_and_module()
    {
        var directory = Directory.CreateTempSubdirectory("lr-accel-").FullName;
        try
        {
            var facts = new LinuxAcceleratorProbe(Path.Combine(directory, "kvm"), Path.Combine(directory, "kvm_pvm")).Probe();

            Assert.False(facts.KvmUsable);
            Assert.Contains("does not exist", facts.KvmUnusableReason, StringComparison.Ordinal);
            Assert.False(facts.PvmLoaded);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void The_linux_probe_sees_an_openable_device_and_a_loaded_pvm_module()
    {
        var directory = Directory.CreateTempSubdirectory("lr-accel-").FullName;
        try
        {
            var device = Path.Combine(directory, "kvm");
            File.WriteAllBytes(device, []);
            Directory.CreateDirectory(Path.Combine(directory, "kvm_pvm"));

            var facts = new LinuxAcceleratorProbe(device, Path.Combine(directory, "kvm_pvm")).Probe();

            Assert.True(facts.KvmUsable);
            Assert.True(facts.PvmLoaded);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void On_this_machine_auto_never_chooses_kvm_where_pvm_is_loaded()
    {
        var facts = new LinuxAcceleratorProbe().Probe() with { Override = null };

        var decision = AcceleratorPolicy.Choose(facts);

        if (facts.PvmLoaded) Assert.Equal(QemuAccelerator.Tcg, decision.Choice!.Accelerator);
        else Assert.Equal(facts.KvmUsable ? QemuAccelerator.Kvm : QemuAccelerator.Tcg, decision.Choice!.Accelerator);
    }
}
