using LabRunner.Cli.Commands;
using LabRunner.Engine;
using LabRunner.Engine.Guests;
using LabRunner.Engine.Lifecycle;
using LabRunner.Providers.HyperV;

namespace LabRunner.Cli.Tests;

/// <summary>
/// Which VMs 'up' / 'reload' wait for after the host work: the started ones, the ones never seen ready since they
/// last started (so 'up --no-wait' then 'up' waits), all with --provision; never a VM that failed or was not asked for.
/// </summary>
public sealed class GuestRequestsTests : IDisposable
{
    private const string Labfile = """
        name: shop
        boxes: { ubuntu: boxes/ubuntu.vhdx }
        networks:
          - { name: lan, type: private, subnet: 10.42.0.0/24 }
        vms:
          - { name: a, box: ubuntu, networks: [{ network: lan, ip: 10.42.0.10 }] }
          - { name: b, box: ubuntu, networks: [{ network: lan, ip: 10.42.0.11 }] }
          - { name: c, box: ubuntu, networks: [{ network: lan, ip: 10.42.0.12 }] }
        """;

    private readonly TempProject _project = new TempProject().With("Labfile.yml", Labfile).With("boxes/ubuntu.vhdx", "box");

    public void Dispose() => _project.Dispose();

    private EngineResult Result(EngineOutcome outcome, params VmOutcome[] vms) =>
        new(outcome, [], LabProject.Open(null, _project.Root, _ => null, HyperVRules.Instance).Plan().Plan!, null, [], []) { VmOutcomes = [.. vms] };

    private static string[] Describe(IReadOnlyList<GuestRequest> requests) => [.. requests.Select(r => r.Vm + (r.Provision ? "+provision" : ""))];

    [Fact]
    public void An_idle_up_waits_only_for_the_vms_never_seen_ready_and_provisions_none()
    {
        var requests = GuestStage.Requests(Result(EngineOutcome.NothingToDo), new HashSet<string>(), [], ["a", "B"], provisionAll: false, provisionNone: false);

        Assert.Equal(["c"], Describe(requests));
    }

    [Fact]
    public void An_idle_up_with_every_vm_seen_ready_waits_for_none()
    {
        var requests = GuestStage.Requests(Result(EngineOutcome.NothingToDo), new HashSet<string>(), [], ["a", "b", "c"], provisionAll: false, provisionNone: false);

        Assert.Empty(requests);
    }

    [Fact]
    public void The_vms_an_up_started_are_waited_for_and_provisioned_even_if_once_seen_ready()
    {
        var result = Result(EngineOutcome.Done, new VmOutcome("b", VmOutcomeKind.Done), new VmOutcome("a", VmOutcomeKind.NothingToDo));

        var requests = GuestStage.Requests(result, new HashSet<string>(), ["b"], ["a", "b", "c"], provisionAll: false, provisionNone: false);

        Assert.Equal(["b+provision"], Describe(requests));
    }

    [Fact]
    public void Only_the_named_vms_and_never_a_failed_one_are_waited_for()
    {
        var result = Result(EngineOutcome.Done, new VmOutcome("a", VmOutcomeKind.Failed), new VmOutcome("b", VmOutcomeKind.Done));

        var named = GuestStage.Requests(result, new HashSet<string> { "a", "b" }, ["a", "b"], [], provisionAll: false, provisionNone: false);
        var all = GuestStage.Requests(result, new HashSet<string>(), ["a", "b"], [], provisionAll: false, provisionNone: false);

        Assert.Equal(["b+provision"], Describe(named));
        Assert.Equal(["b+provision", "c"], Describe(all));
    }

    [Fact]
    public void Provision_takes_every_vm_and_no_provision_waits_without_provisioning()
    {
        var result = Result(EngineOutcome.Done, new VmOutcome("b", VmOutcomeKind.Done));

        var every = GuestStage.Requests(result, new HashSet<string>(), ["b"], ["a", "b", "c"], provisionAll: true, provisionNone: false);
        var none = GuestStage.Requests(result, new HashSet<string>(), ["b"], ["a", "c"], provisionAll: false, provisionNone: true);

        Assert.Equal(["a+provision", "b+provision", "c+provision"], Describe(every));
        Assert.Equal(["b"], Describe(none));
    }
}
