using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Diagnostics;
using LabRunner.Engine.Guests;

namespace LabRunner.Engine.Tests.Guests;

/// <summary>Windows guests through a direct channel (PowerShell Direct) on a fake clock: ready when it answers, back-off, timeout.</summary>
public class DirectGuestReadinessTests
{
    private readonly SteppedClock _time = new();
    private readonly RecordingReporter _reporter = new();
    private static readonly DirectGuest Guest = new("lab-win", "Administrator", "s3cret!Pw");

    private Task<GuestOutcome> Wait(FakeDirect direct, int timeoutSeconds = 300, CancellationToken ct = default) =>
        FakeClock.RunAsync(_time, new DirectGuestReadiness(direct, _time, _reporter).WaitAsync("win", Guest, TimeSpan.FromSeconds(timeoutSeconds), () => ["console"], ct),
            TimeSpan.FromSeconds(timeoutSeconds + 10));

    [Fact]
    public async Task A_windows_guest_is_ready_when_powershell_direct_answers()
    {
        var direct = new FakeDirect(_time) { AnswersAfter = 4 };

        var started = _time.GetUtcNow();
        var outcome = await Wait(direct);

        Assert.Equal(GuestPhase.Ready, outcome.Phase);
        Assert.Equal([GuestPhase.Booting, GuestPhase.Ready], _reporter.Phases.Select(p => p.Phase));
        Assert.Equal(5, direct.Probes.Count);
        Assert.Equal(outcome.Elapsed, outcome.ReadyAfter);
        Assert.Equal(started + outcome.ReadyAfter, outcome.ReadyAt);
    }

    [Fact]
    public async Task Polling_backs_off_from_200_ms_to_at_most_2_s_as_for_ssh()
    {
        var direct = new FakeDirect(_time) { AnswersAfter = 12 };

        await Wait(direct);

        var gaps = direct.Probes.Zip(direct.Probes.Skip(1), (a, b) => (b - a).TotalMilliseconds).ToList();
        Assert.Equal(200, gaps[0]);
        Assert.True(gaps.Zip(gaps.Skip(1)).All(p => p.Second >= p.First), string.Join(", ", gaps));
        Assert.Equal(2000, gaps.Max());
    }

    [Fact]
    public async Task A_guest_that_never_answers_fails_at_its_boot_timeout_with_the_last_answer_and_never_the_password()
    {
        var direct = new FakeDirect(_time) { AnswersAfter = -1 };

        var outcome = await Wait(direct, timeoutSeconds: 30);

        Assert.Equal(GuestPhase.Failed, outcome.Phase);
        Assert.Equal("not ready after 30 s (boot_timeout): PowerShell Direct (Invoke-Command -VMName lab-win as Administrator) never answered; last: The credential is invalid.", outcome.Error);
        Assert.Equal(["console"], outcome.Problems.ToArray());
        Assert.Equal(TimeSpan.FromSeconds(30), outcome.Elapsed);
        Assert.DoesNotContain(Guest.Password, outcome.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(Guest.Password, Guest.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ctrl_c_stops_the_wait_as_a_cancellation()
    {
        using var cts = new CancellationTokenSource();
        var direct = new FakeDirect(_time) { AnswersAfter = -1, OnProbe = n => { if (n == 3) cts.Cancel(); } };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Wait(direct, ct: cts.Token));
    }

    [Fact]
    public async Task Shell_provisioners_pass_content_args_and_env_and_a_broken_channel_is_an_error_line_and_exit_1()
    {
        var direct = new FakeDirect(_time) { AnswersAfter = 0, RunResult = DirectGuestRun.Failed("The credential is invalid.") };
        var transport = new DirectProvisionTransport(direct, Guest);
        var shell = new ShellProvisionerDefinition("Write-Output hi", null, null, ["-Role", "web"], [new("ROLE", "web")], Privileged: false, ProvisionRun.Once, SourceSpan.None("Labfile.yml"));
        var errors = new List<string>();

        var code = await transport.ShellAsync(shell, "Write-Output hi"u8.ToArray(), _ => { }, errors.Add, CancellationToken.None);

        Assert.Equal(1, code);
        Assert.Equal(["PowerShell Direct: The credential is invalid."], errors);
        var script = Assert.Single(direct.Scripts);
        Assert.Equal("Write-Output hi"u8.ToArray(), script.Content.ToArray());
        Assert.Equal(["-Role", "web"], script.Args.ToArray());
        Assert.Equal([new KeyValuePair<string, string>("ROLE", "web")], script.Env.ToArray());
    }

    [Fact]
    public async Task The_guest_scripts_exit_code_is_the_provisioners()
    {
        var direct = new FakeDirect(_time) { AnswersAfter = 0, RunResult = new DirectGuestRun(42, null) };
        var shell = new ShellProvisionerDefinition("exit 42", null, null, [], [], Privileged: true, ProvisionRun.Always, SourceSpan.None("Labfile.yml"));

        var code = await new DirectProvisionTransport(direct, Guest).ShellAsync(shell, [], _ => { }, _ => { }, CancellationToken.None);

        Assert.Equal(42, code);
    }

    [Fact]
    public async Task A_file_provisioner_copies_the_host_file_to_its_destination()
    {
        var direct = new FakeDirect(_time) { AnswersAfter = 0 };
        var file = new FileProvisionerDefinition("conf/app.ini", SourceSpan.None("Labfile.yml"), @"C:\app\app.ini", ProvisionRun.Once, SourceSpan.None("Labfile.yml"));

        var code = await new DirectProvisionTransport(direct, Guest).FileAsync(file, "/lab/conf/app.ini", [], _ => { }, _ => { }, CancellationToken.None);

        Assert.Equal(0, code);
        Assert.Equal([("/lab/conf/app.ini", @"C:\app\app.ini")], direct.Copies);
    }

    internal sealed class FakeDirect(SteppedClock time) : IDirectGuestAccess
    {
        public int AnswersAfter { get; init; }
        public Action<int>? OnProbe { get; init; }
        public DirectGuestRun RunResult { get; init; } = DirectGuestRun.Answered;
        public List<DateTimeOffset> Probes { get; } = [];
        public List<DirectScript> Scripts { get; } = [];
        public List<(string, string)> Copies { get; } = [];

        public string ManualAccess(string hostVmName, string user) => $"a fake way into {hostVmName} as {user}";

        public Task<DirectGuestRun> ProbeAsync(DirectGuest guest, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Probes.Add(time.GetUtcNow());
            OnProbe?.Invoke(Probes.Count);
            return Task.FromResult(AnswersAfter >= 0 && Probes.Count > AnswersAfter ? DirectGuestRun.Answered : DirectGuestRun.Failed("The credential is invalid."));
        }

        public Task<DirectGuestRun> RunScriptAsync(DirectGuest guest, DirectScript script, Action<string, bool> output, CancellationToken cancellationToken)
        {
            Scripts.Add(script);
            return Task.FromResult(RunResult);
        }

        public Task<DirectGuestRun> CopyFileAsync(DirectGuest guest, string hostPath, string destination, CancellationToken cancellationToken)
        {
            Copies.Add((hostPath, destination));
            return Task.FromResult(RunResult);
        }
    }
}
