using System.Collections.Immutable;
using LabRunner.Cli.Commands;
using LabRunner.Engine;
using LabRunner.Engine.Guests;
using Microsoft.Extensions.Time.Testing;
using Spectre.Console.Testing;

namespace LabRunner.Cli.Tests;

/// <summary>
/// The guest wait of 'up' / 'reload' / 'provision' as a person sees it: plain lines when output is redirected
/// (unchanged), a live table per VM on a terminal. Guests are fakes that move a fake clock as they go.
/// </summary>
public sealed class GuestProgressTests : IDisposable
{
    private const string Labfile = """
        name: shop
        boxes: { ubuntu: boxes/ubuntu.vhdx }
        networks:
          - { name: lan, type: private, subnet: 10.42.0.0/24 }
          - { name: quiet, type: isolated }
        vms:
          - name: web
            box: ubuntu
            networks: [{ network: lan, ip: 10.42.0.10 }]
            provision:
              - shell: { inline: "echo hi" }
          - name: db
            box: ubuntu
            networks: [quiet]
        """;

    private readonly TempProject _project = new TempProject().With("Labfile.yml", Labfile).With("boxes/ubuntu.vhdx", "box")
        .With(".lab/id_ecdsa", "not a real key: the guests are fakes");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public void Dispose() => _project.Dispose();

    private async Task<(int Exit, string Stdout, string Stderr)> WaitAsync(TestConsole console, ScriptedGuest guest, params string[] vms)
    {
        var error = new StringWriter();
        var env = new CliEnvironment(console, error, _project.Root, _ => null);
        var project = LabProject.Open(null, _project.Root, _ => null);
        var plan = project.Plan().Plan!;
        var services = new Services
        {
            Host = (_, _, _) => throw new InvalidOperationException("no host in these tests"),
            Seeds = (_, _) => throw new InvalidOperationException("no seeds in these tests"),
            GuestConnector = guest,
            Time = _time,
        };
        var exit = await GuestSteps.RunAsync(project, services, env, quiet: false, plan, [.. vms.Select(v => new GuestRequest(v, Provision: true))], CancellationToken.None);
        return (exit, console.Output, error.ToString());
    }

    [Fact]
    public async Task Redirected_output_is_the_plain_lines_it_always_was()
    {
        var guest = new ScriptedGuest(_time) { Boot = TimeSpan.FromSeconds(7), Login = TimeSpan.FromSeconds(2), CloudInit = TimeSpan.FromSeconds(11) };

        var (exit, stdout, stderr) = await WaitAsync(new TestConsole().Width(200), guest, "web", "db");

        Assert.Equal(0, exit);
        Assert.Equal("""
            ==> guests: waiting for web, db
                web: booting (0.0 s)
                web: network (7.0 s)
                web: cloud-init (9.0 s)
                web: ready (20.0 s)
                web: provisioning (20.0 s)
                web| vm.provision[0] shell (inline)
                web| hello from web
                web: ready (23.0 s)
            web: ready after 20.0 s, SSH answered after 7.0 s

            """.ReplaceLineEndings(), stdout);
        Assert.Equal("""
            db: started, not reachable from the host: it is only on isolated networks, which the host has no address on

            """.ReplaceLineEndings(), stderr);
    }

    [Fact]
    public async Task Redirected_output_of_a_failed_guest_is_the_plain_lines_it_always_was()
    {
        var guest = new ScriptedGuest(_time)
        {
            Boot = TimeSpan.FromSeconds(4), Login = TimeSpan.FromSeconds(1), CloudInit = TimeSpan.FromSeconds(30),
            CloudInitExit = 2, CloudInitReport = ["status: done", "recoverable_errors:", "WARNING: apt mirror slow"],
        };
        var failing = new ScriptedGuest(_time) { CloudInitExit = 1, CloudInitReport = ["status: error", "errors:", "  - package 'nope' not found"] };

        var recovered = await WaitAsync(new TestConsole().Width(200), guest, "web");
        var failed = await WaitAsync(new TestConsole().Width(200), failing, "web");

        Assert.Equal((0, 3), (recovered.Exit, failed.Exit));
        Assert.Equal("""
            ==> guests: waiting for web
                web: booting (0.0 s)
                web: network (4.0 s)
                web: cloud-init (5.0 s)
                web: ready (35.0 s)
                web: provisioning (35.0 s)
                web| vm.provision[0] shell (inline)
                web| hello from web
                web: ready (38.0 s)
            web: ready after 35.0 s, SSH answered after 4.0 s

            """.ReplaceLineEndings(), recovered.Stdout);
        Assert.Equal("""
                web| cloud-init: status: done
                web| cloud-init: recoverable_errors:
                web| cloud-init: WARNING: apt mirror slow
              web: cloud-init: status: done
              web: cloud-init: recoverable_errors:
              web: cloud-init: WARNING: apt mirror slow

            """.ReplaceLineEndings(), recovered.Stderr);
        Assert.Equal("""
            ==> guests: waiting for web
                web: booting (0.0 s)
                web: network (0.0 s)
                web: cloud-init (0.0 s)

            """.ReplaceLineEndings(), failed.Stdout);
        Assert.Equal("""
            lab: web: cloud-init failed (status exit code 1)
              web| status: error
              web| errors:
              web|   - package 'nope' not found

            """.ReplaceLineEndings(), failed.Stderr);
    }
}

/// <summary>A guest that takes the given times (on the fake clock) to answer, to let the user in, and to finish cloud-init.</summary>
internal sealed class ScriptedGuest(FakeTimeProvider time) : IGuestConnector, IGuestSession
{
    public TimeSpan Boot { get; init; }
    public TimeSpan Login { get; init; }
    public TimeSpan CloudInit { get; init; }
    public int CloudInitExit { get; init; }
    public IReadOnlyList<string> CloudInitReport { get; init; } = [];
    public TimeSpan Provisioning { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Called on the fake guest's way (after each step), so a test can look at the screen meanwhile.</summary>
    public Func<string, Task> Step { get; init; } = _ => Task.CompletedTask;

    public async Task<bool> PortAnswersAsync(GuestLogin login, CancellationToken cancellationToken)
    {
        await Step("booting");
        time.Advance(Boot);
        return true;
    }

    public async Task<IGuestSession?> TryConnectAsync(GuestLogin login, CancellationToken cancellationToken)
    {
        await Step("network");
        time.Advance(Login);
        return this;
    }

    public async Task<int> RunAsync(string command, ReadOnlyMemory<byte> input, Action<string> stdout, Action<string> stderr, CancellationToken cancellationToken)
    {
        if (command == GuestReadiness.CloudInitCommand)
        {
            await Step("cloud-init");
            time.Advance(CloudInit);
            foreach (var line in CloudInitReport) stdout(line);
            return CloudInitExit;
        }
        await Step("provisioning");
        stdout("hello from web");
        time.Advance(Provisioning);
        return 0;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
