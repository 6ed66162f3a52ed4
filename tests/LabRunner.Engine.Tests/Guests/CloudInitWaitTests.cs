using System.Diagnostics;
using LabRunner.Engine.Guests;
using LabRunner.Tests.Shared;

namespace LabRunner.Engine.Tests.Guests;

/// <summary>
/// Issue 16.3: <see cref="GuestReadiness.CloudInitCommand"/> run by the real <c>sh</c> against a scratch
/// <c>/run/cloud-init</c> whose <c>result.json</c> is written by cloud-init's own writer (Debian's cloud-init
/// package), and a stand-in <c>cloud-init</c> that records each call: a clean result ends the wait with no
/// cloud-init process at all; errors, recoverable errors and a cloud-init the generator did not enable are
/// cloud-init's own verdict, as before.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // Require() fails the tests there first
public sealed class CloudInitWaitTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("labrunner-ciwait");

    private string Run => Path.Combine(_root.FullName, "run");
    private string Calls => Path.Combine(_root.FullName, "calls");
    private string Tmp => Path.Combine(_root.FullName, "tmp");   // the command's TMPDIR (where mktemp names its FIFO)

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public void A_clean_result_is_done_without_starting_cloud_init()
    {
        Require();
        Enable();
        WriteResult("[]", recoverable: null);

        var (code, output) = Wait(fakeExit: 1);

        Assert.Equal(0, code);
        Assert.Equal("", output);
        Assert.False(File.Exists(Calls), "cloud-init was started: " + (File.Exists(Calls) ? File.ReadAllText(Calls) : ""));
    }

    [Fact]
    public void The_wait_ends_only_once_cloud_init_has_written_its_result()
    {
        Require();
        Enable();

        using var process = Start(fakeExit: 1);
        // Still waiting while there is no result (it tests every 0.25 s): not done, and no cloud-init started.
        WaitsForTheResult(process);

        Assert.False(File.Exists(Calls));
    }

    [Fact]
    public void While_cloud_init_works_the_wait_starts_no_process_per_test()
    {
        Require();
        Enable();
        var bin = Path.Combine(_root.FullName, "bin");
        InstallCountingSleep(bin);

        using var process = Start(fakeExit: 1, path: bin + ":/usr/bin:/bin");
        // The FIFO's name is gone once bash holds it open.
        WaitsForTheResult(process, whileWaiting: () => Assert.Empty(Directory.GetFileSystemEntries(Tmp)));

        // Eight tests in those 2 s, each a bash builtin: no 'sleep' ran (the old loop ran one per test).
        Assert.False(File.Exists(SleepCalls), "sleep ran " + (File.Exists(SleepCalls) ? File.ReadAllLines(SleepCalls).Length : 0) + " times");
        Assert.Empty(Directory.GetFileSystemEntries(Tmp));
    }

    [Fact]
    public void Without_bash_the_wait_tests_with_sleep_as_before()
    {
        Require();
        Enable();
        // A PATH with the tools the command uses, but no bash.
        var bin = Path.Combine(_root.FullName, "bin");
        foreach (var tool in new[] { "grep", "mktemp", "mkfifo", "rm" })
            File.CreateSymbolicLink(Path.Combine(bin, tool), HostTools.Find(tool)!);
        InstallCountingSleep(bin);

        using var process = Start(fakeExit: 1, path: bin);
        WaitsForTheResult(process);

        Assert.True(File.Exists(SleepCalls) && File.ReadAllLines(SleepCalls).Length >= 4, "the sleep loop did not run");
    }

    /// <summary>
    /// The started wait is still waiting after 2 s without a result (then <paramref name="whileWaiting"/> runs), and ends
    /// with exit 0 once a clean result is written.
    /// </summary>
    private void WaitsForTheResult(Process process, Action? whileWaiting = null)
    {
        Assert.False(process.WaitForExit(TimeSpan.FromSeconds(2)), "the wait ended before cloud-init's result existed");
        whileWaiting?.Invoke();
        WriteResult("[]", recoverable: null);

        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "the wait did not end after the result was written");
        Assert.Equal(0, process.ExitCode);
    }

    private string SleepCalls => Path.Combine(_root.FullName, "sleep-calls");

    /// <summary>A 'sleep' first on the PATH that records each call and then sleeps.</summary>
    private void InstallCountingSleep(string bin)
    {
        var sleep = Path.Combine(bin, "sleep");
        File.WriteAllText(sleep, $"""
            #!/bin/sh
            echo "$*" >> '{SleepCalls}'
            exec {HostTools.Find("sleep")} "$@"

            """);
        File.SetUnixFileMode(sleep, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    [Fact]
    public void A_result_with_errors_is_cloud_inits_own_verdict_with_its_report()
    {
        Require();
        Enable();
        WriteResult("[\"('scripts_user', RuntimeError('Runparts: 1 failures'))\"]", recoverable: null);

        var (code, output) = Wait(fakeExit: 1);

        Assert.Equal(1, code);
        Assert.Contains("errors: boom", output, StringComparison.Ordinal);
        Assert.Equal(["status --wait", "status --long"], File.ReadAllLines(Calls));
    }

    [Fact]
    public void Recoverable_errors_are_cloud_inits_own_verdict()
    {
        Require();
        Enable();
        WriteResult("[]", recoverable: "{\"WARNING\": [\"something\"]}");

        var (code, _) = Wait(fakeExit: 2);

        Assert.Equal(2, code);
        Assert.Equal(["status --wait", "status --long"], File.ReadAllLines(Calls));
    }

    [Fact]
    public void Without_the_generators_marker_cloud_init_is_asked_as_before()
    {
        Require();
        // No 'enabled' file: cloud-init disabled, or no systemd generator. A result alone is not trusted.
        WriteResult("[]", recoverable: null);

        var (code, _) = Wait(fakeExit: 0);

        Assert.Equal(0, code);
        Assert.Equal(["status --wait"], File.ReadAllLines(Calls));
    }

    [Fact]
    public void A_guest_without_cloud_init_answers_127()
    {
        Require();
        File.Delete(Path.Combine(_root.FullName, "bin", "cloud-init"));

        var (code, _) = Wait(fakeExit: 0, path: Path.Combine(_root.FullName, "bin"));

        Assert.Equal(127, code);
    }

    private void Require()
    {
        HostTools.Require(needsRoot: false, "sh", "bash", "grep", "sleep", "mktemp", "mkfifo", "rm", "/usr/bin/python3", "cloud-init");
        Install();
    }

    private void Install()
    {
        Directory.CreateDirectory(Run);
        var bin = Directory.CreateDirectory(Path.Combine(_root.FullName, "bin")).FullName;
        // The stand-in: records its arguments; 'status --wait' exits $FAKE_EXIT, 'status --long' reports.
        var fake = Path.Combine(bin, "cloud-init");
        File.WriteAllText(fake, $$"""
            #!/bin/sh
            echo "$*" >> '{{Calls}}'
            case "$*" in
              "status --long") echo "status: error"; echo "errors: boom" ;;
            esac
            exit "${FAKE_EXIT:-0}"

            """);
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }


    private void Enable() => File.WriteAllText(Path.Combine(Run, "enabled"), "");

    /// <summary>result.json as cloud-init 22.4 (and later) writes it, through its own atomic_helper.write_json.</summary>
    private void WriteResult(string errorsJson, string? recoverable)
    {
        var v1 = "{'datasource': 'DataSourceNoCloud [seed=/dev/sr0][dsmode=net]', 'errors': json.loads(sys.argv[2])"
                 + (recoverable is null ? "" : ", 'recoverable_errors': json.loads(sys.argv[3])") + "}";
        var result = HostTools.Find("/usr/bin/python3")!;
        var info = new ProcessStartInfo(result) { RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"import json, sys\nfrom cloudinit import atomic_helper\natomic_helper.write_json(sys.argv[1], {{'v1': {v1}}})");
        info.ArgumentList.Add(Path.Combine(Run, "result.json"));
        info.ArgumentList.Add(errorsJson);
        info.ArgumentList.Add(recoverable ?? "");
        using var python = Process.Start(info)!;
        var error = python.StandardError.ReadToEnd();
        python.WaitForExit();
        Assert.True(python.ExitCode == 0, error);
    }

    private Process Start(int fakeExit, string? path = null)
    {
        var info = new ProcessStartInfo("sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(GuestReadiness.CloudInitCommand);
        info.Environment["PATH"] = path ?? Path.Combine(_root.FullName, "bin") + ":/usr/bin:/bin";
        info.Environment["LABRUNNER_CLOUD_INIT_RUN"] = Run;
        info.Environment["TMPDIR"] = Directory.CreateDirectory(Tmp).FullName;
        info.Environment["FAKE_EXIT"] = fakeExit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Process.Start(info)!;
    }

    private (int Code, string Output) Wait(int fakeExit, string? path = null)
    {
        using var process = Start(fakeExit, path);
        var output = process.StandardOutput.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "the wait did not end");
        return (process.ExitCode, output.Result);
    }
}
