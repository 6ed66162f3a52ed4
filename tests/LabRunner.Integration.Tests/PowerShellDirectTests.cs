using System.Collections.Immutable;
using System.Text;
using LabRunner.Core.Hosting;
using LabRunner.HyperV.Emulation;
using LabRunner.Providers.HyperV.Guests;
using LabRunner.Providers.HyperV.Running;
using LabRunner.Simulation;

namespace LabRunner.Integration.Tests;

/// <summary>
/// PowerShell Direct into Windows guests: the provider's exact script, run by the real PowerShell engine against
/// the emulated Invoke-Command / New-PSSession / Copy-Item / Remove-PSSession (documented parameters; the VM found
/// with the emulated Get-VM), with guests that are runspaces of the engine in this process. Only a Windows host
/// can confirm it against real guests.
/// </summary>
public sealed class PowerShellDirectTests : IDisposable
{
    private const string Password = "Pa$$w0rd 'q' `$(x)";
    private readonly SimulatedHost _host = SimulatedHost.InMemory();
    private readonly EmulatedGuests _guests = new();
    private readonly RecordingRunner _runner;
    private readonly PowerShellDirect _direct;
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("labrunner-psdirect-");

    public PowerShellDirectTests()
    {
        _runner = new RecordingRunner(new InProcessPowerShellRunner(_host, guests: _guests));
        _direct = new PowerShellDirect(_runner);
    }

    public void Dispose() => _folder.Delete(recursive: true);

    private DirectGuest Running(string name, bool booted = true)
    {
        _host.Mutate(m => m.StartVm(m.NewVm(name, 2, 512L * 1024 * 1024, null, null, null)));
        if (booted) _guests.Boot(name, "Administrator", Password);
        return new DirectGuest(name, "Administrator", Password);
    }

    [Fact]
    public async Task The_guest_answers_once_it_runs_and_accepts_the_administrator()
    {
        var guest = Running("win 'a' $(x)");

        var run = await _direct.ProbeAsync(guest, CancellationToken.None);

        Assert.True(run.Succeeded, run.Failure);
        Assert.Equal(1, _guests.Connections);
    }

    [Fact]
    public async Task A_guest_still_booting_refuses_the_credential_with_windows_message()
    {
        var guest = Running("win", booted: false);

        var run = await _direct.ProbeAsync(guest, CancellationToken.None);

        Assert.Equal("The credential is invalid.", run.Failure);
    }

    [Fact]
    public async Task A_wrong_password_is_refused_with_windows_message()
    {
        var guest = Running("win") with { Password = "not it" };

        var run = await _direct.ProbeAsync(guest, CancellationToken.None);

        Assert.Equal("The credential is invalid.", run.Failure);
    }

    [Fact]
    public async Task A_vm_that_is_off_fails_as_windows_says_before_any_guest_is_asked()
    {
        var guest = Running("win");
        _host.Mutate(m => m.StopVm(m.GetVm("win"), turnOff: true));

        var run = await _direct.ProbeAsync(guest, CancellationToken.None);

        Assert.Equal("The virtual machine win is not in running state.", run.Failure);
        Assert.Equal(0, _guests.Connections);
    }

    [Fact]
    public async Task A_missing_vm_fails_as_windows_says()
    {
        var run = await _direct.ProbeAsync(new DirectGuest("nowhere", "Administrator", Password), CancellationToken.None);

        Assert.Equal("The input VMName nowhere does not resolve to a single virtual machine.", run.Failure);
    }

    [Fact]
    public async Task The_password_is_in_no_script_text_and_no_output()
    {
        var guest = Running("win");

        await _direct.ProbeAsync(guest, CancellationToken.None);
        await _direct.RunScriptAsync(guest, Script("'hello'"), (_, _) => { }, CancellationToken.None);

        Assert.Equal(2, _runner.Scripts.Count);
        Assert.All(_runner.Scripts, s => Assert.Equal(PowerShellDirect.Script, s));
        Assert.DoesNotContain(_runner.Lines, l => l.Contains(Password, StringComparison.Ordinal) || l.Contains("Pa$$w0rd", StringComparison.Ordinal));
        Assert.DoesNotContain(_runner.Stdins, s => s.Contains("Pa$$w0rd", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Script_output_and_errors_stream_line_by_line_and_the_exit_code_comes_back()
    {
        var guest = Running("win");
        var lines = new List<(string, bool)>();

        // The SDK's engine has no Write-Host or Write-Error (Microsoft.PowerShell.Utility): the information stream
        // is written as Write-Host writes it, and a core cmdlet writes a non-terminating error.
        var text = "[CmdletBinding()] param()\n'one'\n$PSCmdlet.WriteInformation('two', @('PSHOST'))\n" +
                   "Get-Command -Name 'labrunner-no-such-command' -CommandType Cmdlet\n\"multi`nline\"\nexit 7";

        var run = await _direct.RunScriptAsync(guest, Script(text), (line, error) => lines.Add((line, error)), CancellationToken.None);

        Assert.True(new DirectGuestRun(7, null) == run, string.Join('\n', lines));
        // The error's message may span lines: each is an error line, in its place.
        var errors = lines.FindIndex(l => l.Item2);
        Assert.Equal([("one", false), ("two", false)], lines[..errors]);
        Assert.Contains("labrunner-no-such-command", lines[errors].Item1, StringComparison.Ordinal);
        Assert.Equal([("multi", false), ("line", false)], lines.SkipWhile(l => !l.Item2).SkipWhile(l => l.Item2));
    }

    [Theory]
    [InlineData("throw 'broken'", 1)]
    [InlineData("'fine'", 0)]
    [InlineData("$global:LASTEXITCODE = 3", 3)]
    public async Task A_throw_is_exit_code_1_and_LASTEXITCODE_is_the_exit_code(string text, int expected)
    {
        var guest = Running("win");

        var run = await _direct.RunScriptAsync(guest, Script(text), (_, _) => { }, CancellationToken.None);

        Assert.Equal(new DirectGuestRun(expected, null), run);
    }

    /// <summary>The hostile values the provider's host scripts are proven with (quotes, $(), backticks, newlines, here-strings, Unicode).</summary>
    public static TheoryData<string> Hostile => HostileValueTests.Hostile;

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task Hostile_arguments_environment_and_content_reach_the_guest_unchanged_and_never_run(string hostile)
    {
        var guest = Running("win");
        var variable = "LABRUNNER_T_" + Guid.NewGuid().ToString("N");
        // The guest script reports what it received, base64, so no line splitting can hide a difference.
        var text = "<#\n" + hostile + "\n#>\n" +
                   "foreach ($a in $args) { 'arg=' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($a)) }\n" +
                   $"'env=' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($env:{variable}))\n" +
                   "'self=' + [Convert]::ToBase64String([IO.File]::ReadAllBytes($PSCommandPath))\n";
        var lines = new List<string>();

        var run = await _direct.RunScriptAsync(guest, new DirectScript(Encoding.UTF8.GetBytes(text), [hostile, "plain"], [new(variable, hostile)]),
            (line, _) => lines.Add(line), CancellationToken.None);

        Assert.True(run.Succeeded, run.Failure + string.Join('\n', lines));
        Assert.Equal([B64("arg=", hostile), B64("arg=", "plain"), B64("env=", hostile), B64("self=", "\uFEFF" + text)], lines);
        Assert.Null(Environment.GetEnvironmentVariable("LABRUNNER_INJECTED"));
        Assert.Null(Environment.GetEnvironmentVariable(variable));
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task A_file_reaches_a_hostile_destination_in_the_guest_byte_exact(string hostile)
    {
        var guest = Running("win");
        var name = hostile.Replace('/', '_').Replace(':', '_');
        var source = Path.Combine(_folder.FullName, $"source {name}.ini");
        var content = "key=" + hostile + "\n";
        File.WriteAllText(source, content);
        var destination = Path.Combine(_folder.FullName, "guest", $"dir {name}", $"app {name}.ini");

        var run = await _direct.CopyFileAsync(guest, source, destination, CancellationToken.None);

        Assert.True(run.Succeeded, run.Failure);
        Assert.Equal(content, File.ReadAllText(destination));
        Assert.Null(Environment.GetEnvironmentVariable("LABRUNNER_INJECTED"));
    }

    [Fact]
    public async Task A_copy_with_the_wrong_password_copies_nothing()
    {
        var guest = Running("win") with { Password = "wrong" };
        var source = Path.Combine(_folder.FullName, "a.txt");
        File.WriteAllText(source, "a");
        var destination = Path.Combine(_folder.FullName, "guest", "a.txt");

        var run = await _direct.CopyFileAsync(guest, source, destination, CancellationToken.None);

        Assert.Equal("The credential is invalid.", run.Failure);
        Assert.False(File.Exists(destination));
    }

    private static DirectScript Script(string text) => new(Encoding.UTF8.GetBytes(text), [], []);

    private static string B64(string prefix, string value) => prefix + Convert.ToBase64String(Encoding.UTF8.GetBytes(value));

    /// <summary>Passes runs on, keeping each script, its standard input and every stdout line.</summary>
    private sealed class RecordingRunner(IPowerShellRunner inner) : IPowerShellRunner
    {
        public List<string> Scripts { get; } = [];

        public List<string> Stdins { get; } = [];

        public List<string> Lines { get; } = [];

        public string Executable => inner.Executable;

        public Task<PowerShellRun> RunAsync(string script, Action<string> onStdoutLine, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("PowerShell Direct always passes standard input");

        public Task<PowerShellRun> RunAsync(string script, string standardInput, Action<string> onStdoutLine, CancellationToken cancellationToken)
        {
            Scripts.Add(script);
            Stdins.Add(standardInput);
            return inner.RunAsync(script, standardInput, line =>
            {
                lock (Lines) Lines.Add(line);
                onStdoutLine(line);
            }, cancellationToken);
        }
    }
}
