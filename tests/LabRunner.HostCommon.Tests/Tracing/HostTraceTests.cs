using System.Globalization;
using LabRunner.Core.Tracing;
using LabRunner.HostCommon.Running;
using LabRunner.HostCommon.Tracing;
using LabRunner.Providers.HyperV.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace LabRunner.HostCommon.Tests.Tracing;

public sealed class HostTraceTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("labrunner-trace-");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 5, 2, 30, 0, TimeSpan.Zero));
    private readonly List<string> _warnings = [];

    public void Dispose() => _root.Delete(recursive: true);

    private string Logs => Path.Combine(_root.FullName, ".lab", "logs");

    private HostTrace NewTrace(string command = "up")
    {
        var trace = new HostTrace(_time, _warnings.Add);
        trace.KeepTranscript(Logs, command);
        return trace;
    }

    /// <summary>A runner that answers every command with <paramref name="exitCode"/> and <paramref name="stderr"/>, taking <paramref name="takes"/> on the fake clock.</summary>
    private sealed class FakeRunner(FakeTimeProvider time, int exitCode, string stderr, TimeSpan takes) : IHostCommandRunner
    {
        public List<HostCommand> Commands { get; } = [];

        public Task<HostCommandResult> RunAsync(HostCommand command, CancellationToken cancellationToken)
        {
            Commands.Add(command);
            time.Advance(takes);
            return Task.FromResult(new HostCommandResult(exitCode, "", stderr));
        }
    }

    [Fact]
    public async Task Each_command_is_printed_as_it_runs_with_its_exit_code_and_duration()
    {
        var trace = NewTrace();
        var verbose = new StringWriter(CultureInfo.InvariantCulture);
        trace.PrintTo(verbose);
        var runner = new TracingHostCommandRunner(new FakeRunner(_time, 2, "RTNETLINK answers: File exists\n", TimeSpan.FromMilliseconds(1250)), trace);

        var result = await runner.RunAsync(new HostCommand("ip", ["link", "add", "lr-shop-lan", "type", "bridge"]), CancellationToken.None);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("""
            lab: host #1: ip link add lr-shop-lan type bridge
            lab: host #1: exit 2 after 1.250 s
                stderr:
                  RTNETLINK answers: File exists

            """.ReplaceLineEndings("\n"), verbose.ToString());
        Assert.True(trace.AnyFailed);
    }

    [Fact]
    public async Task The_transcript_is_one_owner_only_file_per_run_named_by_time_and_command()
    {
        var trace = NewTrace("reload");
        var runner = new TracingHostCommandRunner(new FakeRunner(_time, 0, "", TimeSpan.FromMilliseconds(20)), trace);

        Assert.False(Directory.Exists(Logs)); // nothing ran, nothing kept
        await runner.RunAsync(new HostCommand("nft", ["-f", "-"]).WithStandardInput("table inet labrunner {\n}\n"), CancellationToken.None);
        await runner.RunAsync(new HostCommand("ip", ["-json", "link", "show"]), CancellationToken.None);
        trace.Finish(0);

        var file = Assert.Single(Directory.GetFiles(Logs));
        Assert.Equal(file, trace.TranscriptPath);
        Assert.Equal("20261205-023000.000-reload.log", Path.GetFileName(file));
        var text = File.ReadAllText(file);
        Assert.Contains("#1 run: nft -f -\n    stdin:\n      table inet labrunner {\n      }\n", text, StringComparison.Ordinal);
        Assert.Contains("#1 exit 0 after 0.020 s", text, StringComparison.Ordinal);
        Assert.Contains("#2 run: ip -json link show", text, StringComparison.Ordinal);
        Assert.EndsWith("lab exited 0\n", text, StringComparison.Ordinal);
        Assert.False(trace.AnyFailed);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Logs));
        }
    }

    [Fact]
    public async Task Only_the_newest_transcripts_are_kept()
    {
        for (var run = 0; run < HostTrace.KeptTranscripts + 5; run++)
        {
            var trace = NewTrace();
            await new TracingHostCommandRunner(new FakeRunner(_time, 0, "", TimeSpan.Zero), trace)
                .RunAsync(new HostCommand("ip", ["link"]), CancellationToken.None);
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        var kept = Directory.GetFiles(Logs).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(HostTrace.KeptTranscripts, kept.Count);
        Assert.Equal("20261205-023500.000-up.log", kept[0]); // the first five runs are gone
        Assert.Equal("20261205-025400.000-up.log", kept[^1]);
    }

    [Theory]
    [MemberData(nameof(HostileIndexes))]
    public async Task A_known_password_never_reaches_the_transcript_or_the_verbose_output(int index)
    {
        var password = $"Pw-{Samples.Hostile[index]}-9x";
        var trace = NewTrace();
        trace.Secrets.Add(password);
        var verbose = new StringWriter(CultureInfo.InvariantCulture);
        trace.PrintTo(verbose);
        // A tool that echoes what it was given when it fails.
        var runner = new TracingHostCommandRunner(new FakeRunner(_time, 1, $"error: bad value '{password}'\n", TimeSpan.Zero), trace);

        var result = await runner.RunAsync(new HostCommand("tool", ["--user", "admin", "--password", password, "value=" + password]).WithStandardInput(password + "\n"), CancellationToken.None);
        trace.Finish(3);

        // What the provider builds its error message from holds no secret either.
        Assert.DoesNotContain(password, result.StandardError, StringComparison.Ordinal);
        Assert.Contains(SecretRedactor.Mark, result.StandardError, StringComparison.Ordinal);

        var transcript = File.ReadAllText(trace.TranscriptPath!);
        foreach (var text in new[] { transcript, verbose.ToString() })
        {
            Assert.DoesNotContain(password, text, StringComparison.Ordinal);
            Assert.DoesNotContain(password.ReplaceLineEndings("\n"), text, StringComparison.Ordinal);
            Assert.Contains(SecretRedactor.Mark, text, StringComparison.Ordinal);
        }
        Assert.Contains("tool --user admin --password", transcript, StringComparison.Ordinal);
    }

    public static TheoryData<int> HostileIndexes()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < Samples.Hostile.Length; i++) data.Add(i);
        return data;
    }

    [Fact]
    public async Task Control_characters_in_arguments_and_output_cannot_forge_lines_of_the_terminal()
    {
        var trace = NewTrace();
        var verbose = new StringWriter(CultureInfo.InvariantCulture);
        trace.PrintTo(verbose);
        var runner = new TracingHostCommandRunner(new FakeRunner(_time, 1, "bad\u001b[2J\nlab: host #9: exit 0\r", TimeSpan.Zero), trace);

        await runner.RunAsync(new HostCommand("ip", ["link", "x\nlab: host #9: exit 0"]), CancellationToken.None);

        Assert.DoesNotContain('\u001b', verbose.ToString());
        Assert.DoesNotContain('\r', verbose.ToString());
        Assert.DoesNotContain("\nlab: host #9", verbose.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_command_that_cannot_start_is_recorded_as_failed_and_still_thrown()
    {
        var trace = NewTrace();
        var runner = new TracingHostCommandRunner(new CliWrapHostCommandRunner(), trace);

        await Assert.ThrowsAsync<HostCommandStartException>(() =>
            runner.RunAsync(new HostCommand("/nonexistent/labrunner-no-such-tool", []), CancellationToken.None));

        Assert.True(trace.AnyFailed);
        Assert.Contains("#1 failed: Could not start /nonexistent/labrunner-no-such-tool", File.ReadAllText(trace.TranscriptPath!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_transcript_that_cannot_be_written_is_said_once_and_the_commands_still_run()
    {
        File.WriteAllText(Path.Combine(_root.FullName, ".lab"), "a file where the folder goes");
        var trace = NewTrace();
        var inner = new FakeRunner(_time, 0, "", TimeSpan.Zero);
        var runner = new TracingHostCommandRunner(inner, trace);

        await runner.RunAsync(new HostCommand("ip", ["link"]), CancellationToken.None);
        await runner.RunAsync(new HostCommand("ip", ["addr"]), CancellationToken.None);

        Assert.Equal(2, inner.Commands.Count);
        Assert.Null(trace.TranscriptPath);
        Assert.Contains(Logs, Assert.Single(_warnings), StringComparison.Ordinal);
    }
}
