using System.Text;
using LabRunner.Cli.Commands;
using LabRunner.Core.Providers;
using LabRunner.Core.Tracing;
using LabRunner.Engine;
using LabRunner.Providers.HyperV;
using LabRunner.Providers.HyperV.Cim;
using LabRunner.Providers.HyperV.Running;
using LabRunner.Providers.HyperV.Scripting;

namespace LabRunner.Cli.Tests;

/// <summary>
/// Issue 19.3: the password of the lab's share account ('type: smb' synced folders) is in no output of lab — not in
/// --what-if, not in the transcripts in .lab/logs, not in an error message, even when the host echoes it — and is
/// kept owner-only in .lab.
/// </summary>
public sealed class SmbSecretCliTests : IDisposable
{
    private readonly TempProject _project = new TempProject().With("Labfile.yml", """
        name: shop
        defaults: { box: ubuntu, memory: 1GB }
        boxes: { ubuntu: boxes/ubuntu.vhdx }
        networks:
          - { name: lan, type: nat }
        vms:
          - name: web
            networks: [lan]
            synced_folders:
              - { host: ./site, guest: /var/www, type: smb }
        """).With("boxes/ubuntu.vhdx", "box").With("site/index.html", "hello");

    public void Dispose() => _project.Dispose();

    private string SecretPath => ShareSecrets.PathIn(Path.Combine(_project.Root, ".lab"));

    private Dictionary<string, string> Simulated => new()
    {
        ["LABRUNNER_PROVIDER"] = "simulated",
        ["LABRUNNER_SIM_HOST"] = Path.Combine(_project.Root, "host.json"),
    };

    private IEnumerable<string> Transcripts() =>
        Directory.Exists(Path.Combine(_project.Root, ".lab", "logs")) ? Directory.GetFiles(Path.Combine(_project.Root, ".lab", "logs")).Select(File.ReadAllText) : [];

    private static void AssertNowhere(string password, IEnumerable<string> texts)
    {
        foreach (var text in texts)
        {
            Assert.DoesNotContain(password, text, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(password)), text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Up_and_what_if_show_the_account_and_the_share_but_never_the_password()
    {
        var up = await Lab.RunAsync(_project.Root, Simulated, "up", "--verbose");
        var whatIf = await Lab.RunAsync(_project.Root, Simulated, "up", "--what-if");
        var down = await Lab.RunAsync(_project.Root, Simulated, "down", "--what-if", "--verbose");

        Assert.True(up.ExitCode == ExitCodes.Success, up.ToString());
        var password = File.ReadAllText(SecretPath).Trim();
        Assert.Equal(ShareSecrets.Length, password.Length);
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(SecretPath));
        Assert.Contains("create local account 'lab", up.Stderr + up.Stdout, StringComparison.Ordinal);
        AssertNowhere(password, [up.Stdout, up.Stderr, whatIf.Stdout, whatIf.Stderr, down.Stdout, down.Stderr, .. Transcripts()]);
    }

    [Fact]
    public async Task What_if_before_the_first_up_shows_the_script_reading_the_password_from_standard_input_and_makes_no_secret()
    {
        var whatIf = await Lab.RunAsync(_project.Root, Simulated, "up", "--what-if");

        Assert.True(whatIf.ExitCode == ExitCodes.Success, whatIf.ToString());
        Assert.Contains("New-LocalUser -Name 'lab", whatIf.Stdout, StringComparison.Ordinal);
        Assert.Contains("-Password $labrunnerPassword", whatIf.Stdout, StringComparison.Ordinal);
        Assert.Contains("New-SmbShare -Name 'shop-web-lab0'", whatIf.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(SecretPath));
    }

    [Fact]
    public async Task A_host_that_echoes_the_password_in_its_error_has_it_redacted_from_the_message_and_the_transcript()
    {
        var defaults = DefaultServices.Create();
        var runner = new EchoingRunner();
        var services = new Services
        {
            Host = (_, _, env) => new ProviderHost(new HyperVProvider(new TracingPowerShellRunner(runner, env.Trace), new EmptyCim(), "TESTHOST"),
                Path.Combine(_project.Root, "host.lock")),
            Seeds = defaults.Seeds,
        };

        var result = await Lab.RunAsync(_project.Root, new Dictionary<string, string>(), services, "up", "--verbose");

        Assert.True(result.ExitCode == ExitCodes.HostFailure, result.ToString());
        var password = File.ReadAllText(SecretPath).Trim();
        // The runner did get it, on standard input, and said it on stderr.
        Assert.Contains(password, runner.Echoed, StringComparison.Ordinal);
        AssertNowhere(password, [result.Stdout, result.Stderr, .. Transcripts()]);
        Assert.Contains(SecretRedactor.Mark, string.Concat(Transcripts()), StringComparison.Ordinal);
    }

    /// <summary>A PowerShell that fails the first step and writes what it read on standard input to stderr.</summary>
    private sealed class EchoingRunner : IPowerShellRunner
    {
        public string Echoed { get; private set; } = "";

        public string Executable => "powershell.exe";

        public Task<PowerShellRun> RunAsync(string script, Action<string> onStdoutLine, CancellationToken cancellationToken) =>
            RunAsync(script, "", onStdoutLine, cancellationToken);

        public Task<PowerShellRun> RunAsync(string script, string standardInput, Action<string> onStdoutLine, CancellationToken cancellationToken)
        {
            var secrets = standardInput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => Encoding.UTF8.GetString(Convert.FromBase64String(l)));
            Echoed = string.Join(" ", secrets);
            onStdoutLine(ScriptProtocol.BeginLine(1));
            return Task.FromResult(new PowerShellRun(1, $"New-LocalUser : the password {Echoed} does not meet the policy"));
        }
    }

    private sealed class EmptyCim : ICimClient
    {
        public Task<IReadOnlyList<CimRecord>> QueryAsync(string @namespace, string className, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<CimRecord>>([]);
    }
}
