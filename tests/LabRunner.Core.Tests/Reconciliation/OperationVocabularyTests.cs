using System.Reflection;
using LabRunner.Core.Hosting;

namespace LabRunner.Core.Tests.Reconciliation;

/// <summary>
/// The plan's operations state what the lab needs, in no host's terms: each provider translates them. Hyper-V's
/// words (checkpoints, saved state, DVD drives on controller slots) are its provider's, not Core's.
/// </summary>
public class OperationVocabularyTests
{
    private static readonly string[] HyperVTerms = ["Checkpoint", "SavedState", "Dvd", "Controller", "Slot", "Vhd"];

    [Fact]
    public void No_operation_its_members_or_their_types_are_named_after_hyper_v()
    {
        var operations = typeof(HostOperation).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(HostOperation)) && !t.IsAbstract).ToList();
        var names = operations.Select(t => t.Name)
            .Concat(operations.SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance))
                .SelectMany(p => new[] { p.Name, p.PropertyType.Name }.Concat(p.PropertyType.GetNestedTypes().Select(n => n.Name))))
            .Distinct(StringComparer.Ordinal).ToList();

        Assert.NotEmpty(operations);
        Assert.DoesNotContain(names, n => HyperVTerms.Any(term => n.Contains(term, StringComparison.OrdinalIgnoreCase)));
    }

    [Fact]
    public void A_hosts_words_name_its_snapshots_and_its_vm_disks()
    {
        var linux = new HostWords("bridge", "isolated bridge", "existing bridge", "bridge", "nftables masquerade") { ChildDisk = "qcow2 overlay" };

        Assert.Equal("turn off automatic checkpoints of VM 'web'", new DisableAutomaticSnapshots("web").Describe());
        Assert.Equal("turn off automatic snapshots of VM 'web'", new DisableAutomaticSnapshots("web").In(linux).Describe());
        Assert.Equal("create differencing disk 'd' on 'b'", new CreateDisk("web", "d", "b").Describe());
        Assert.Equal("create qcow2 overlay 'd' on 'b'", new CreateDisk("web", "d", "b").In(linux).Describe());
    }

    [Fact]
    public void A_seed_says_which_disc_it_replaces_never_a_drive_slot()
    {
        Assert.Equal("insert seed '/s/2.iso' into VM 'web'", new AttachSeed("web", "/s/2.iso").Describe());
        Assert.Equal("insert seed '/s/2.iso' into VM 'web' in place of '/s/1.iso'", new AttachSeed("web", "/s/2.iso", new SeedDrive.Holding("/s/1.iso")).Describe());
        Assert.Equal("insert seed '/s/2.iso' into VM 'web' again", new AttachSeed("web", "/s/2.iso", new SeedDrive.Holding("/s/2.iso")).Describe());
        Assert.False(new AttachSeed("web", "/s/2.iso").Drive.Exists);
        Assert.True(new AttachSeed("web", "/s/2.iso", new SeedDrive.Empty()).Drive.Exists);
    }
}
