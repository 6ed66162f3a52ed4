using System.Text.Json;
using LabRunner.Cli.Commands;
using LabRunner.Engine;
using LabRunner.Engine.Guests;
using LabRunner.Providers.HyperV;
using Microsoft.Extensions.Time.Testing;
using Spectre.Console.Testing;

namespace LabRunner.Cli.Tests;

/// <summary>
/// One VM's guest work failing in any way (an unexpected exception, a connection dropped under a provisioner) fails
/// that VM alone: the others finish, every VM is in the summary and in --json, and the ready record is saved.
/// </summary>
public sealed class GuestFaultTests : IDisposable
{
    private const string Labfile = """
        name: shop
        boxes: { ubuntu: boxes/ubuntu.vhdx }
        networks:
          - { name: lan, type: private, subnet: 10.42.0.0/24 }
        vms:
          - name: a
            box: ubuntu
            networks: [{ network: lan, ip: 10.42.0.10 }]
          - name: b
            box: ubuntu
            networks: [{ network: lan, ip: 10.42.0.11 }]
            provision:
              - shell: { inline: "echo hi" }
          - name: c
            box: ubuntu
            networks: [{ network: lan, ip: 10.42.0.12 }]
            provision:
              - shell: { inline: "echo hi" }
        """;

    private readonly TempProject _project = new TempProject().With("Labfile.yml", Labfile).With("boxes/ubuntu.vhdx", "box")
        .With(".lab/id_ecdsa", "not a real key: the guests are fakes");

    public void Dispose() => _project.Dispose();

    [Fact]
    public async Task A_vm_that_throws_or_loses_its_connection_fails_alone_and_every_vm_is_reported_and_the_ready_record_kept()
    {
        var error = new StringWriter();
        var env = new CliEnvironment(new TestConsole().Width(200), error, _project.Root, _ => null);
        var project = LabProject.Open(null, _project.Root, _ => null, HyperVRules.Instance);
        var plan = project.Plan().Plan!;
        var services = new Services
        {
            Host = (_, _, _) => throw new InvalidOperationException("no host in these tests"),
            Seeds = (_, _) => throw new InvalidOperationException("no seeds in these tests"),
            GuestConnector = new FaultyGuests(),
            Time = new FakeTimeProvider(),
        };

        var (exit, outcomes) = await GuestSteps.WaitAsync(project, services, provider: null, env, quiet: false, plan,
            [new GuestRequest("a", true), new GuestRequest("b", true), new GuestRequest("c", true)], CancellationToken.None);

        Assert.Equal(ExitCodes.HostFailure, exit);
        Assert.Equal(["a", "b", "c"], outcomes.Select(o => o.Vm));
        Assert.Equal([GuestPhase.Failed, GuestPhase.Failed, GuestPhase.Ready], outcomes.Select(o => o.Phase));
        Assert.Equal("InvalidOperationException: the guest library broke (this is a bug in LabRunner; please report it)", outcomes[0].Error);
        Assert.Equal("provisioner vm.provision[0] shell (inline) at Labfile.yml:13:9 did not finish: " +
                     "SSH to VM 'b' at 10.42.0.11:22: An established connection was aborted by the server.", outcomes[1].Error);
        var stderr = error.ToString();
        Assert.Contains("lab: a: InvalidOperationException: the guest library broke", stderr, StringComparison.Ordinal);
        Assert.Contains("lab: b: provisioner vm.provision[0] shell (inline) at Labfile.yml:13:9 did not finish", stderr, StringComparison.Ordinal);
        // b was ready before its provisioner failed, c finished: the next idle 'up' need not wait for them; a it must.
        Assert.Equal(["b", "c"], ProjectState.LoadOrCreate(project.StateDirectory).ReadyVms.Order());

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            GuestSteps.WriteJson(json, outcomes);
            json.WriteEndObject();
        }
        using var document = JsonDocument.Parse(buffer.ToArray());
        var guests = document.RootElement.GetProperty("guests").EnumerateArray()
            .Select(g => (g.GetProperty("vm").GetString(), g.GetProperty("state").GetString(), g.GetProperty("error").GetString())).ToList();
        Assert.Equal([("a", "failed", outcomes[0].Error), ("b", "failed", outcomes[1].Error), ("c", "ready", null)], guests);
    }

    /// <summary>a: the connector throws something unexpected; b: ready, then its connection drops under the provisioner; c: fine.</summary>
    private sealed class FaultyGuests : IGuestConnector
    {
        public Task<bool> PortAnswersAsync(GuestLogin login, CancellationToken cancellationToken) => Task.FromResult(true);

        public Task<IGuestSession?> TryConnectAsync(GuestLogin login, CancellationToken cancellationToken) => login.Vm switch
        {
            "a" => throw new InvalidOperationException("the guest library broke"),
            _ => Task.FromResult<IGuestSession?>(new Session(login)),
        };

        private sealed class Session(GuestLogin login) : IGuestSession
        {
            public Task<int> RunAsync(string command, ReadOnlyMemory<byte> input, Action<string> stdout, Action<string> stderr, CancellationToken cancellationToken)
            {
                if (command == GuestReadiness.CloudInitCommand || login.Vm != "b") return Task.FromResult(0);
                const string What = "An established connection was aborted by the server.";
                throw new GuestConnectionException(login, What, new Renci.SshNet.Common.SshConnectionException(What));
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
