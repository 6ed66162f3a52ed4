using System.Diagnostics;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Providers.HyperV;
using LabRunner.Simulation.Model;
using static LabRunner.Simulation.Tests.TestHost;

namespace LabRunner.Simulation.Tests;

public class PersistenceTests
{
    [Fact]
    public void Changes_survive_in_the_file_for_the_next_process()
    {
        using var folder = new TempFolder();
        var path = folder.File("host.json");
        var first = new SimulatedHost(path);
        first.Mutate(m =>
        {
            m.NewSwitch("lab", SwitchKind.Internal, null, false, "labrunner:v1 lab=a project=p");
            m.NewNetIPAddress(m.FindInterface("vEthernet (lab)")!, Ip("10.188.1.1"), 24);
            m.NewNat("LabRunnerNAT", Prefix("10.188.0.0/16"));
            m.AddStaticMapping("LabRunnerNAT", PortProtocol.Udp, Ip("0.0.0.0"), 5353, Ip("10.188.1.10"), 53);
            m.AddVmNetworkAdapter(m.NewVm("web"), "lan", "lab", Mac("02-AB-00-00-00-01"));
        });

        var second = new SimulatedHost(path).GetInventory([]);

        Assert.Equal(first.GetInventory([]), second, InventoryComparer.Instance);
        Assert.Equal("10.188.1.1/24", second.HostInterfaceOf(HyperVRules.Instance, "lab")!.Addresses.Single().ToString());
        Assert.Equal(new HostPortMapping("LabRunnerNAT", PortProtocol.Udp, Ip("0.0.0.0"), 5353, Ip("10.188.1.10"), 53), second.PortMappings.Single());
        Assert.Equal(Mac("02-AB-00-00-00-01"), second.Vm("web")!.Adapters.Single(a => a.Name == "lan").Mac);
    }

    [Fact]
    public void A_batch_is_written_once_when_it_closes_and_holds_other_processes_off_meanwhile()
    {
        using var folder = new TempFolder();
        var path = folder.File("host.json");
        var host = new SimulatedHost(path);
        var other = new SimulatedHost(path) { LockTimeout = TimeSpan.FromMilliseconds(200) };

        HostUnavailableException? blocked;
        bool seenByOtherMeanwhile;
        using (host.OpenBatch())
        {
            for (var i = 0; i < 3; i++)
                host.Mutate(m => m.NewSwitch($"s{i}", SwitchKind.Private, null, false, "x"));
            seenByOtherMeanwhile = File.Exists(path);
            blocked = Assert.Throws<HostUnavailableException>(() => other.Mutate(m => m.NewSwitch("theirs", SwitchKind.Private, null, false, "y")));
            Assert.Equal(3, host.GetInventory([]).Switches.Count(s => s.Name.StartsWith('s')));
        }
        other.Mutate(m => m.NewSwitch("theirs", SwitchKind.Private, null, false, "y"));

        Assert.False(seenByOtherMeanwhile);
        Assert.Contains("lock", blocked.Message, StringComparison.Ordinal);
        Assert.Equal(["s0", "s1", "s2", "theirs"], new SimulatedHost(path).GetInventory([]).Switches.Where(s => s.Notes is "x" or "y").Select(s => s.Name));
    }

    [Fact]
    public void In_a_batch_the_nth_change_still_fails_alone()
    {
        using var folder = new TempFolder();
        var host = new SimulatedHost(folder.File("host.json")) { FailAtOperation = 2 };

        SimulatedHostException? refusal;
        using (host.OpenBatch())
        {
            host.Mutate(m => m.NewVm("one"));
            refusal = Assert.Throws<SimulatedHostException>(() => host.Mutate(m => m.NewVm("two")));
            host.Mutate(m => m.NewVm("three"));
        }

        Assert.Equal("InjectedFault", refusal.ErrorId);
        Assert.Equal(["one", "three"], new SimulatedHost(folder.File("host.json")).GetInventory([]).Vms.Select(v => v.Name));
    }

    [Fact]
    public void The_file_is_json_people_can_read_and_edit()
    {
        using var folder = new TempFolder();
        var path = folder.File("host.json");
        new SimulatedHost(path).Mutate(m => m.AddVmNetworkAdapter(m.NewVm("web"), "lan", null, Mac("02-AB-00-00-00-01")));

        var text = File.ReadAllText(path);

        Assert.Contains("\"addresses\": [\n        \"192.168.1.50/24\"", text.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("\"staticMacAddress\": \"02-AB-00-00-00-01\"", text, StringComparison.Ordinal);
        Assert.Contains("\"switchType\": \"Internal\"", text, StringComparison.Ordinal);
        Assert.Contains("\"state\": \"Off\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_the_default_host_and_reading_does_not_create_it()
    {
        using var folder = new TempFolder();
        var path = folder.File("sub/host.json");

        var inventory = new SimulatedHost(path).GetInventory([]);

        Assert.NotNull(inventory.Switch("Default Switch"));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Temporary_files_a_killed_writer_left_beside_the_host_file_go_with_the_next_change()
    {
        using var folder = new TempFolder();
        var path = folder.File("host.json");
        using var exited = Process.Start(new ProcessStartInfo("dotnet", "--version") { RedirectStandardOutput = true })!;
        exited.WaitForExit();
        var left = folder.File($"host.json.{exited.Id}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(left, "{ half a host");

        new SimulatedHost(path).Mutate(m => m.NewSwitch("s", SwitchKind.Private, null, false, null));

        Assert.False(File.Exists(left), "a dead writer's temporary file must be removed");
        Assert.Equal(["host.json", "host.json.lock"], Directory.EnumerateFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("""{ "vms": null }""")]
    [InlineData("""{ "vms": [null] }""")]
    [InlineData("""{ "netAdapters": [ { "name": "Ethernet", "addresses": null } ] }""")]
    public void A_file_with_null_lists_is_unavailable_not_a_crash(string text)
    {
        using var folder = new TempFolder();
        var path = folder.File("host.json");
        File.WriteAllText(path, text);

        var error = Assert.Throws<HostUnavailableException>(() => new SimulatedHost(path).GetInventory([]));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("is not a valid simulated host", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_corrupt_file_makes_the_host_unavailable_with_a_message_not_a_stack_trace()
    {
        using var folder = new TempFolder();
        var path = folder.File("host.json");
        File.WriteAllText(path, "{ \"version\": 1,\n  \"nats\": [ { \"name\": \"x\", \"internalIPInterfaceAddressPrefix\": \"10.188.0.0/99\" } ] }");

        var error = Assert.Throws<HostUnavailableException>(() => new SimulatedHost(path).GetInventory([]));

        Assert.Equal(HostErrorKind.Unavailable, error.Error.Kind);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("line 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("'10.188.0.0/99' is not an IPv4 prefix", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_lock_held_past_the_timeout_is_unavailable_and_names_the_lock_file()
    {
        using var folder = new TempFolder();
        var path = folder.File("host.json");
        using var held = new FileStream(path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        var host = new SimulatedHost(path) { LockTimeout = TimeSpan.FromMilliseconds(200) };

        var error = Assert.Throws<HostUnavailableException>(() => host.Mutate(m => m.NewVm("web")));

        Assert.Equal(HostErrorKind.Unavailable, error.Error.Kind);
        Assert.Contains(path + ".lock", error.Message, StringComparison.Ordinal);
        Assert.Contains("Wait for it to finish", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_with_nul_bytes_is_unavailable_with_labrunners_own_words()
    {
        using var folder = new TempFolder();
        var path = folder.File("host.json");
        File.WriteAllBytes(path, new byte[64]);

        var error = Assert.Throws<HostUnavailableException>(() => new SimulatedHost(path).GetInventory([]));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("truncated, damaged or not a host file", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("0x00", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_from_a_newer_labrunner_is_refused()
    {
        using var folder = new TempFolder();
        var path = folder.File("host.json");
        File.WriteAllText(path, "{ \"version\": 99 }");

        var error = Assert.Throws<HostUnavailableException>(() => new SimulatedHost(path).Mutate(m => m.NewVm("web")));

        Assert.Contains("version 99", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_hand_written_host_with_foreign_objects_keeps_them_through_labrunners_changes()
    {
        using var folder = new TempFolder();
        var path = folder.File("host.json");
        File.WriteAllText(path, """
            {
              "version": 1,
              "netAdapters": [
                { "name": "Ethernet 2", "interfaceDescription": "Realtek PCIe GbE", "addresses": [ "192.168.178.20/24" ] },
                { "name": "vEthernet (nat)", "interfaceDescription": "Hyper-V Virtual Ethernet Adapter", "kind": "HostVnic", "switchName": "nat", "addresses": [ "172.20.0.1/16" ] }
              ],
              "switches": [ { "name": "nat", "switchType": "Internal", "allowManagementOS": true, "notes": "" } ],
              "nats": [ { "name": "DockerNAT", "internalIPInterfaceAddressPrefix": "172.20.0.0/16" } ],
              "vms": [ { "name": "DockerDesktopVM", "generation": 2, "state": "Running", "memoryStartupBytes": 2147483648,
                         "networkAdapters": [ { "name": "Network Adapter", "switchName": "nat" } ] } ],
              // comments are allowed in a hand-written host
            }
            """);
        var host = new SimulatedHost(path);
        var idBefore = host.Read(m => m.GetVm("DockerDesktopVM").Id);

        host.Mutate(m => m.NewSwitch("lab", SwitchKind.Internal, null, false, "labrunner:v1 lab=a project=p"));
        var secondNat = Refusal(host, m => m.NewNat("LabRunnerNAT", Prefix("10.188.0.0/16")));

        var inventory = new SimulatedHost(path).GetInventory([]);
        Assert.Equal(new HostNat("DockerNAT", Prefix("172.20.0.0/16")), inventory.Nats.Single());
        Assert.Equal(VmState.Running, inventory.Vm("DockerDesktopVM")!.State);
        Assert.Equal("nat", inventory.Vm("DockerDesktopVM")!.Adapters.Single().SwitchName);
        Assert.NotNull(inventory.Switch("nat"));
        Assert.NotNull(inventory.Switch("lab"));
        Assert.Equal(HostErrorKind.Conflict, secondNat.Kind);
        Assert.Equal(idBefore, host.Read(m => m.GetVm("DockerDesktopVM").Id));
        Assert.NotEqual(0, host.Read(m => m.FindInterface("Ethernet 2")!.InterfaceIndex));
    }

    [Fact]
    public void A_refused_change_leaves_the_file_as_it_was()
    {
        using var folder = new TempFolder();
        var path = folder.File("host.json");
        var host = new SimulatedHost(path);
        host.Mutate(m => m.NewSwitch("lab", SwitchKind.Internal, null, false, null));
        var before = File.ReadAllText(path);

        Refusal(host, m =>
        {
            m.NewSwitch("other", SwitchKind.Private, null, false, null);
            m.NewSwitch("lab", SwitchKind.Private, null, false, null);
        });

        Assert.Equal(before, File.ReadAllText(path));
    }

    [Fact]
    public async Task Two_hosts_on_one_file_in_parallel_lose_no_update()
    {
        using var folder = new TempFolder();
        var path = folder.File("host.json");
        var a = new SimulatedHost(path);
        var b = new SimulatedHost(path);

        await Task.WhenAll(
            Task.Run(() => AddSwitches(a, "a", 25)),
            Task.Run(() => AddSwitches(b, "b", 25)),
            Task.Run(() => AddSwitches(a, "c", 25)));

        var names = new SimulatedHost(path).GetInventory([]).Switches.Select(s => s.Name).ToHashSet();
        Assert.Equal(76, names.Count);
        Assert.All(Enumerable.Range(0, 25), i => Assert.Contains($"b-{i}", names));
    }

    [Fact]
    public async Task Two_processes_on_one_file_lose_no_update()
    {
        using var folder = new TempFolder();
        var path = folder.File("host.json");

        var p = RunWorkerAsync(path, "p", 60);
        var q = RunWorkerAsync(path, "q", 60);
        var local = Task.Run(() => AddSwitches(new SimulatedHost(path), "r", 60));
        await Task.WhenAll(p, q, local);

        Assert.Equal((0, 60), ((await p).Item1, (await p).Item2.Split('\n').Count(l => l.StartsWith("ok ", StringComparison.Ordinal))));
        Assert.Equal((0, 60), ((await q).Item1, (await q).Item2.Split('\n').Count(l => l.StartsWith("ok ", StringComparison.Ordinal))));
        var names = new SimulatedHost(path).GetInventory([]).Switches.Select(s => s.Name).ToHashSet();
        Assert.Equal(181, names.Count);
    }

    [Fact]
    public async Task The_fault_variable_fails_the_nth_change_of_one_process()
    {
        using var folder = new TempFolder();
        var path = folder.File("host.json");

        var (exit, output) = await RunWorkerAsync(path, "f", 5, failAt: "3");

        Assert.Equal(0, exit);
        Assert.Equal(["ok f-0", "ok f-1", "refused f-2: Failed Injected fault: mutating call 3 of this simulated host fails (FailAtOperation / LABRUNNER_SIM_FAIL_AT).", "ok f-3", "ok f-4"], output.Trim().Split('\n'));
        Assert.Null(new SimulatedHost(path).GetInventory([]).Switch("f-2"));
    }

    [Fact]
    public async Task A_bad_fault_variable_is_reported_clearly()
    {
        using var folder = new TempFolder();

        var (exit, output) = await RunWorkerAsync(folder.File("host.json"), "f", 1, failAt: "third");

        Assert.Equal(3, exit);
        Assert.Contains("LABRUNNER_SIM_FAIL_AT='third' is not a positive whole number", output, StringComparison.Ordinal);
    }

    private static void AddSwitches(SimulatedHost host, string prefix, int count)
    {
        for (var i = 0; i < count; i++)
            host.Mutate(m => m.NewSwitch($"{prefix}-{i}", SwitchKind.Private, null, false, null));
    }

    /// <summary>Runs the worker (tests/LabRunner.Simulation.Worker) as a separate process on the host file.</summary>
    private static async Task<(int, string)> RunWorkerAsync(string hostFile, string prefix, int count, string? failAt = null)
    {
        var worker = Path.Combine(AppContext.BaseDirectory, "LabRunner.Simulation.Worker.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { worker, "add-switches", prefix, count.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(arg);
        start.Environment[SimulatedHost.PathVariable] = hostFile;
        if (failAt is null) start.Environment.Remove(SimulatedHost.FailAtVariable);
        else start.Environment[SimulatedHost.FailAtVariable] = failAt;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, (await stdout) + (await stderr));
    }

    /// <summary>Inventories hold ImmutableArrays, whose equality is by reference; compare their contents.</summary>
    private sealed class InventoryComparer : IEqualityComparer<HostInventory>
    {
        public static readonly InventoryComparer Instance = new();

        public bool Equals(HostInventory? x, HostInventory? y) =>
            x is not null && y is not null
            && x.NetAdapters.Select(a => (a.Name, a.InterfaceDescription, a.IsPhysical, string.Join(",", a.Addresses))).SequenceEqual(y.NetAdapters.Select(a => (a.Name, a.InterfaceDescription, a.IsPhysical, string.Join(",", a.Addresses))))
            && x.Switches.SequenceEqual(y.Switches)
            && x.Nats.SequenceEqual(y.Nats)
            && x.PortMappings.SequenceEqual(y.PortMappings)
            && x.Vms.Select(v => (v.Name, v.State, v.Notes, string.Join(",", v.Adapters), string.Join(",", v.HardDisks))).SequenceEqual(y.Vms.Select(v => (v.Name, v.State, v.Notes, string.Join(",", v.Adapters), string.Join(",", v.HardDisks))));

        public int GetHashCode(HostInventory obj) => 0;
    }
}

public class FaultInjectionTests
{
    [Fact]
    public void The_nth_mutating_call_after_the_setting_fails_and_changes_nothing()
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m => m.NewVm("before"));
        host.FailAtOperation = 2;

        host.Mutate(m => m.NewVm("one"));
        var refusal = Refusal(host, m => m.NewVm("two"));
        host.Mutate(m => m.NewVm("three"));

        Assert.Equal(HostErrorKind.Failed, refusal.Kind);
        Assert.Equal("InjectedFault", refusal.ErrorId);
        Assert.Equal(["before", "one", "three"], host.GetInventory([]).Vms.Select(v => v.Name));
    }

    [Fact]
    public void Reads_do_not_count_as_mutating_calls()
    {
        var host = SimulatedHost.InMemory();
        host.FailAtOperation = 1;

        host.GetInventory([]);
        host.Read(m => m.FindVm("x"));

        Assert.Equal(HostErrorKind.Failed, Refusal(host, m => m.NewVm("web")).Kind);
    }

    [Fact]
    public void A_file_backed_host_fails_the_same_way_and_keeps_the_file()
    {
        using var folder = new TempFolder();
        var host = new SimulatedHost(folder.File("host.json")) { LockTimeout = TimeSpan.FromSeconds(5) };
        host.FailAtOperation = 1;

        Refusal(host, m => m.NewVm("web"));

        Assert.False(File.Exists(folder.File("host.json")));
        Assert.Equal(1, host.MutationCount);
    }
}
