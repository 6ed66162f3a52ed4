using System.Collections.Immutable;
using System.Text.Json;
using LabRunner.Cli.Commands;
using LabRunner.Core.Hosting;
using LabRunner.Simulation;
using Microsoft.Extensions.Time.Testing;
using Spectre.Console.Testing;

namespace LabRunner.Cli.Tests;

/// <summary>
/// Ctrl+C during 'up --json' at any point: exactly one JSON document on stdout, with the command, exit_code 130 and a
/// message, and the process's exit code 130 (issue 13.16: 4 of 41 runs printed nothing at all).
/// </summary>
public sealed class InterruptedJsonTests : IDisposable
{
    private readonly TempProject _project = new TempProject().With("Labfile.yml", """
        name: shop
        networks:
          - { name: lan, type: nat }
        vms:
          - name: web
            box: ubuntu
            networks: [lan]
          - name: db
            box: ubuntu
            networks: [lan]
        """).With("boxes/ubuntu.vhdx", "box");

    public void Dispose() => _project.Dispose();

    /// <summary>Where the user presses Ctrl+C.</summary>
    public enum Point
    {
        BeforeTheCommand,
        ReadingTheHost,
        StartingABatch,
        DuringAnOperation,
        AfterTheLastBatch,
    }

    /// <summary>The simulated host, with Ctrl+C at one point of the run.</summary>
    private sealed class InterruptingProvider(IHostProvider inner, CancellationTokenSource ctrlC, Point point, bool ignoreCancellation) : IHostProvider
    {
        private int _batches;

        private void Press() => ctrlC.Cancel();

        public string Description => inner.Description;

        public HostRules Rules => inner.Rules;

        public IHostFiles Files => inner.Files;

        public bool BootsGuests => inner.BootsGuests;

        public async Task<HostInventory> GetInventoryAsync(ImmutableArray<string> filesOfInterest, CancellationToken cancellationToken)
        {
            if (point == Point.ReadingTheHost) await PressAsync(cancellationToken);
            return await inner.GetInventoryAsync(filesOfInterest, cancellationToken);
        }

        public async Task<ApplyResult> ApplyAsync(OperationBatch batch, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
        {
            var number = Interlocked.Increment(ref _batches);
            if (point == Point.StartingABatch && number == 2) await PressAsync(cancellationToken);
            var result = await inner.ApplyAsync(batch, point == Point.DuringAnOperation ? new Pressing(this, progress) : progress, cancellationToken);
            if (point == Point.AfterTheLastBatch) await ctrlC.CancelAsync();
            return result;
        }

        private async Task PressAsync(CancellationToken cancellationToken)
        {
            await ctrlC.CancelAsync();
            // A command that does not stop (a host call that ignores its token) is ended by LabApp's own time limit.
            if (ignoreCancellation) await Task.Delay(Timeout.InfiniteTimeSpan, CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
        }

        private sealed class Pressing(InterruptingProvider provider, IProgress<OperationProgress>? inner) : IProgress<OperationProgress>
        {
            public void Report(OperationProgress value)
            {
                provider.Press();
                inner?.Report(value);
            }
        }
    }

    private async Task<CliResult> UpJson(Point point, bool ignoreCancellation = false)
    {
        using var ctrlC = new CancellationTokenSource();
        if (point == Point.BeforeTheCommand) await ctrlC.CancelAsync();
        var time = new FakeTimeProvider();
        var hostFile = Path.Combine(_project.Root, "host.json");
        var services = new Services
        {
            Host = (_, _, _) => new HostSelection(new InterruptingProvider(new SimulatedProvider(new SimulatedHost(hostFile)), ctrlC, point, ignoreCancellation),
                hostFile + ".engine.lock", _ => null),
            Seeds = DefaultServices.Create().Seeds,
            Time = time,
        };
        var console = new TestConsole().Width(200);
        var error = new StringWriter();
        var env = new CliEnvironment(console, error, _project.Root, _ => null);
        var run = LabApp.RunAsync(["up", "--json"], env, services, ctrlC.Token);
        // A command that ignores Ctrl+C is ended after LabApp.StopTimeout of the (fake) clock.
        for (var i = 0; i < 1000 && !run.IsCompleted; i++)
        {
            time.Advance(LabApp.StopTimeout);
            await Task.WhenAny(run, Task.Delay(10, CancellationToken.None));
        }
        Assert.True(run.IsCompleted, "lab up did not end after Ctrl+C");
        return new CliResult(await run, console.Output, error.ToString());
    }

    private static void AssertOneInterruptedDocument(CliResult result)
    {
        Assert.True(result.ExitCode == ExitCodes.Interrupted, result.ToString());
        // Exactly one document: parsing reads one value and then nothing but white space is left.
        var bytes = System.Text.Encoding.UTF8.GetBytes(result.Stdout);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowMultipleValues = true });
        using var document = JsonDocument.ParseValue(ref reader);
        Assert.False(reader.Read(), $"more than one JSON document:\n{result.Stdout}");
        var root = document.RootElement;
        Assert.Equal("up", root.GetProperty("command").GetString());
        Assert.Equal("interrupted", root.GetProperty("outcome").GetString());
        Assert.Equal(ExitCodes.Interrupted, root.GetProperty("exit_code").GetInt32());
        Assert.Contains("interrupted", root.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Array, root.GetProperty("diagnostics").ValueKind);
    }

    [Theory]
    [InlineData(Point.BeforeTheCommand)]
    [InlineData(Point.ReadingTheHost)]
    [InlineData(Point.StartingABatch)]
    [InlineData(Point.DuringAnOperation)]
    public async Task Ctrl_C_at_any_point_of_up_json_gives_exactly_one_document_with_exit_code_130(Point point)
    {
        var result = await UpJson(point);

        AssertOneInterruptedDocument(result);
    }

    [Theory]
    [InlineData(Point.ReadingTheHost)]
    [InlineData(Point.StartingABatch)]
    public async Task A_command_that_does_not_stop_after_Ctrl_C_still_ends_with_its_one_document(Point point)
    {
        var result = await UpJson(point, ignoreCancellation: true);

        AssertOneInterruptedDocument(result);
        Assert.Contains("did not stop within", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ctrl_C_after_the_work_is_done_still_gives_exactly_one_document()
    {
        var result = await UpJson(Point.AfterTheLastBatch);

        // The run finished (its document says so) or stopped (interrupted): either way one document, whose exit code is the process's.
        var bytes = System.Text.Encoding.UTF8.GetBytes(result.Stdout);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowMultipleValues = true });
        using var document = JsonDocument.ParseValue(ref reader);
        Assert.False(reader.Read(), $"more than one JSON document:\n{result.Stdout}");
        Assert.Equal(result.ExitCode, document.RootElement.GetProperty("exit_code").GetInt32());
        Assert.Equal("up", document.RootElement.GetProperty("command").GetString());
    }
}
