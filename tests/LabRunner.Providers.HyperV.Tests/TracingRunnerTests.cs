using System.Globalization;
using System.Text;
using LabRunner.Core.Hosting;
using LabRunner.Core.Tracing;
using LabRunner.HostCommon.Tracing;
using LabRunner.Providers.HyperV.Cim;
using LabRunner.Providers.HyperV.Guests;
using LabRunner.Providers.HyperV.Running;
using LabRunner.Providers.HyperV.Scripting;
using LabRunner.Providers.HyperV.Tests.Support;

namespace LabRunner.Providers.HyperV.Tests;

/// <summary>Every PowerShell batch leaves a trace; the credentials PowerShell Direct sends on standard input never do.</summary>
public sealed class TracingRunnerTests : IDisposable
{
    private readonly DirectoryInfo _logs = Directory.CreateTempSubdirectory("labrunner-pstrace-");

    public void Dispose() => _logs.Delete(recursive: true);

    public static TheoryData<int> HostileIndexes()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < Samples.Hostile.Length; i++) data.Add(i);
        return data;
    }

    [Fact]
    public async Task A_batch_is_recorded_with_its_script_exit_code_and_stderr()
    {
        var trace = new HostTrace(TimeProvider.System, _ => { });
        trace.KeepTranscript(_logs.FullName, "up");
        var verbose = new StringWriter(CultureInfo.InvariantCulture);
        trace.PrintTo(verbose);
        var provider = new HyperVProvider(new TracingPowerShellRunner(new ScriptedRunner([], exitCode: 1, stderr: "New-VMSwitch : access denied"), trace),
            new FakeCimClient(new Dictionary<string, IReadOnlyList<CimRecord>>()), "TESTHOST");

        await provider.ApplyAsync(Samples.UpBatch(), null, CancellationToken.None);

        var transcript = File.ReadAllText(trace.TranscriptPath!);
        Assert.Contains("#1 run: powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File SCRIPT.ps1\n    script:\n", transcript, StringComparison.Ordinal);
        Assert.Contains("New-VMSwitch", transcript, StringComparison.Ordinal);
        Assert.Contains("#1 exit 1 after ", transcript, StringComparison.Ordinal);
        Assert.Contains("      New-VMSwitch : access denied", transcript, StringComparison.Ordinal);
        // --verbose prints the batch as it starts: the script the host runs, line by line.
        Assert.Contains(HyperVScript.Render(Samples.UpBatch()).Split('\n')[0].TrimEnd('\r'), verbose.ToString(), StringComparison.Ordinal);
        Assert.True(trace.AnyFailed);
    }

    [Theory]
    [MemberData(nameof(HostileIndexes))]
    public async Task PowerShell_Direct_credentials_never_reach_the_transcript_or_the_verbose_output(int index)
    {
        var password = $"Pw-{Samples.Hostile[index]}-9x";
        var trace = new HostTrace(TimeProvider.System, _ => { });
        trace.KeepTranscript(_logs.FullName, "provision");
        trace.Secrets.Add(password);
        var verbose = new StringWriter(CultureInfo.InvariantCulture);
        trace.PrintTo(verbose);
        // A PowerShell that fails and echoes its request, credentials included, on stderr.
        var runner = new EchoingRunner();
        var direct = new PowerShellDirect(new TracingPowerShellRunner(runner, trace));

        await direct.ProbeAsync(new DirectGuest("shop-dc", "Administrator", password), CancellationToken.None);

        Assert.Contains(Convert.ToBase64String(Encoding.UTF8.GetBytes(password)), runner.Input, StringComparison.Ordinal);
        var transcript = File.ReadAllText(trace.TranscriptPath!);
        foreach (var text in new[] { transcript, verbose.ToString() })
        {
            Assert.DoesNotContain(password, text, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(password)), text, StringComparison.Ordinal);
        }
        Assert.Contains("not recorded (it carries credentials)", transcript, StringComparison.Ordinal);
        Assert.Contains(SecretRedactor.Mark, transcript, StringComparison.Ordinal);
    }

    private sealed class EchoingRunner : IPowerShellRunner
    {
        public string Input { get; private set; } = "";

        public string Executable => "powershell.exe";

        public Task<PowerShellRun> RunAsync(string script, Action<string> onStdoutLine, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("PowerShell Direct always sends its request on standard input.");

        public Task<PowerShellRun> RunAsync(string script, string standardInput, Action<string> onStdoutLine, CancellationToken cancellationToken)
        {
            Input = standardInput;
            var decoded = string.Join("\n", standardInput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => Encoding.UTF8.GetString(Convert.FromBase64String(l))));
            return Task.FromResult(new PowerShellRun(1, $"could not log in with: {decoded}\nraw request: {standardInput}"));
        }
    }
}
