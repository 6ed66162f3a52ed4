using System.Diagnostics;
using LabRunner.Providers.HyperV.Running;

namespace LabRunner.Providers.HyperV.Tests;

/// <summary>
/// The CliWrap runner against a fake "PowerShell": a small bash script that checks what it was given
/// and prints protocol lines. pwsh is not installed here; the arguments and file are what powershell.exe gets.
/// </summary>
public sealed class CliWrapRunnerTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("labrunner-runner-");
    private readonly DirectoryInfo _temp;

    public CliWrapRunnerTests()
    {
        _temp = _dir.CreateSubdirectory("temp");
    }

    public void Dispose() => _dir.Delete(recursive: true);

    /// <summary>A fake PowerShell: records its arguments and a copy of the script file, then runs <paramref name="body"/>.</summary>
    private CliWrapPowerShellRunner Fake(string body, TimeSpan? grace = null)
    {
        var path = Path.Combine(_dir.FullName, "fake-powershell");
        File.WriteAllText(path, $$"""
            #!/bin/bash
            dir="$(dirname "$0")"
            printf '%s\n' "$@" > "$dir/args"
            script=""
            while [ $# -gt 0 ]; do
              if [ "$1" = "-File" ]; then script="$2"; shift; fi
              shift
            done
            cp "$script" "$dir/script-copy"
            {{body}}

            """.Replace("\r", "", StringComparison.Ordinal));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new CliWrapPowerShellRunner(new PowerShellRunnerOptions(path, grace ?? TimeSpan.FromSeconds(5), _temp.FullName));
    }

    [Fact]
    public async Task The_script_goes_in_a_UTF8_file_with_a_BOM_passed_with_the_documented_switches_and_is_deleted_afterwards()
    {
        var runner = Fake("exit 0");
        const string script = "Write-Output 'ё ’ 😀'\nexit 0\n";

        var run = await runner.RunAsync(script, _ => { }, CancellationToken.None);

        Assert.Equal(0, run.ExitCode);
        var args = File.ReadAllLines(Path.Combine(_dir.FullName, "args"));
        Assert.Equal(["-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-File"], args[..5]);
        Assert.Equal(6, args.Length);
        Assert.StartsWith(Path.Combine(_temp.FullName, "labrunner-"), args[5], StringComparison.Ordinal);
        Assert.EndsWith(".ps1", args[5], StringComparison.Ordinal);
        var bytes = File.ReadAllBytes(Path.Combine(_dir.FullName, "script-copy"));
        Assert.Equal([0xEF, 0xBB, 0xBF], bytes[..3]);
        Assert.Equal(script, System.Text.Encoding.UTF8.GetString(bytes[3..]));
        Assert.Empty(_temp.GetFiles());
        Assert.Equal(1, runner.ProcessesStarted);
    }

    [Fact]
    public async Task Stdout_lines_stream_while_the_process_is_still_running()
    {
        // The fake waits for a file that only the line callback creates: if lines arrived only
        // after exit, it would give up and exit 3.
        var runner = Fake("""
            echo "##labrunner begin 1"
            for i in $(seq 1 200); do [ -f "$dir/go" ] && break; sleep 0.05; done
            [ -f "$dir/go" ] || { echo "no go" >&2; exit 3; }
            echo "##labrunner ok 1"
            exit 0
            """);
        var lines = new List<string>();

        var run = await runner.RunAsync("x", line =>
        {
            lines.Add(line);
            if (line == "##labrunner begin 1") File.WriteAllText(Path.Combine(_dir.FullName, "go"), "");
        }, CancellationToken.None);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["##labrunner begin 1", "##labrunner ok 1"], lines);
    }

    [Fact]
    public async Task The_exit_code_and_stderr_come_back()
    {
        var runner = Fake("""
            echo "##labrunner ok 1"
            echo "first problem" >&2
            echo "second problem" >&2
            exit 7
            """);

        var run = await runner.RunAsync("x", _ => { }, CancellationToken.None);

        Assert.Equal(7, run.ExitCode);
        Assert.Equal("first problem\nsecond problem\n", run.StandardError.ReplaceLineEndings("\n"));
        Assert.Empty(_temp.GetFiles());
    }

    [Fact]
    public async Task Cancelling_interrupts_the_process_and_still_deletes_the_script()
    {
        var runner = Fake("""
            # The child is killed too: an orphaned sleep would hold stdout open after bash exits.
            trap 'kill $child; echo interrupted > "$dir/interrupted"; exit 130' INT
            echo "##labrunner begin 1"
            sleep 30 &
            child=$!
            wait $child
            """);
        using var cts = new CancellationTokenSource();
        var stopwatch = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runner.RunAsync("x", line =>
        {
            if (line == "##labrunner begin 1") cts.Cancel();
        }, cts.Token));

        // The script would sleep 30 s; returning well before shows the interrupt ended it.
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(20), $"took {stopwatch.Elapsed}");
        Assert.True(File.Exists(Path.Combine(_dir.FullName, "interrupted")), "the process was not interrupted gracefully");
        Assert.Empty(_temp.GetFiles());
    }

    [Fact]
    public async Task A_process_that_ignores_the_interrupt_is_killed_after_the_grace_period()
    {
        var runner = Fake("""
            trap '' INT
            echo "##labrunner begin 1"
            for i in $(seq 1 600); do sleep 0.05; done
            echo "survived" > "$dir/survived"
            """, grace: TimeSpan.FromMilliseconds(300));
        using var cts = new CancellationTokenSource();
        var stopwatch = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runner.RunAsync("x", line =>
        {
            if (line == "##labrunner begin 1") cts.Cancel();
        }, cts.Token));

        // The script would run 30 s; returning well before shows it was killed after the grace period.
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(20), $"took {stopwatch.Elapsed}");
        Assert.False(File.Exists(Path.Combine(_dir.FullName, "survived")));
        Assert.Empty(_temp.GetFiles());
    }

    [Fact]
    public async Task A_PowerShell_that_does_not_exist_cannot_start_and_leaves_nothing_behind()
    {
        var runner = new CliWrapPowerShellRunner(new PowerShellRunnerOptions(Path.Combine(_dir.FullName, "no-such-pwsh"), TimeSpan.FromSeconds(1), _temp.FullName));

        var e = await Assert.ThrowsAsync<PowerShellStartException>(() => runner.RunAsync("x", _ => { }, CancellationToken.None));

        Assert.Contains("no-such-pwsh", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, runner.ProcessesStarted);
        Assert.Empty(_temp.GetFiles());
    }

    [Fact]
    public async Task Each_run_is_one_process()
    {
        var runner = Fake("exit 0");

        for (var i = 0; i < 3; i++) await runner.RunAsync("x", _ => { }, CancellationToken.None);

        Assert.Equal(3, runner.ProcessesStarted);
    }

    [Fact]
    public async Task An_already_cancelled_token_starts_nothing()
    {
        var runner = Fake("exit 0");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runner.RunAsync("x", _ => { }, new CancellationToken(true)));

        Assert.Equal(0, runner.ProcessesStarted);
    }
}
