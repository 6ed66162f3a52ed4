using System.Text;
using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;
using LabRunner.Engine.Guests;
using LabRunner.Guest.Ssh;
using LabRunner.Providers.HyperV;

namespace LabRunner.Engine.Tests.Guests;

/// <summary>SSH.NET against a real OpenSSH server: pinned host keys, exit codes, output streamed, provisioners run.</summary>
public sealed class SshNetConnectorTests : IDisposable
{
    private readonly DirectoryInfo _project = Directory.CreateTempSubdirectory("labrunner-prov");

    public void Dispose() => _project.Delete(recursive: true);

    [SshdFact]
    public async Task A_command_runs_with_its_exit_code_and_both_streams_line_by_line()
    {
        using var sshd = new LocalSshd();
        var connector = new SshNetConnector();
        var stdout = new List<string>();
        var stderr = new List<string>();

        Assert.True(await connector.PortAnswersAsync(sshd.Login(), CancellationToken.None));
        await using var session = await connector.TryConnectAsync(sshd.Login(), CancellationToken.None);
        Assert.NotNull(session);
        var code = await session.RunAsync("cat; echo out; echo err >&2; exit 3", Encoding.UTF8.GetBytes("from stdin\n"), stdout.Add, stderr.Add, CancellationToken.None);

        Assert.Equal(3, code);
        Assert.Equal(["from stdin", "out"], stdout);
        Assert.Equal(["err"], stderr);
    }

    [SshdFact]
    public async Task A_host_key_other_than_the_pinned_one_is_refused()
    {
        using var sshd = new LocalSshd();
        var other = SshKeys.Generate("other").PublicKey;

        var ex = await Assert.ThrowsAsync<HostKeyMismatchException>(() => new SshNetConnector().TryConnectAsync(sshd.Login(other), CancellationToken.None));

        Assert.Contains(SshKeys.Fingerprint(other), ex.Message, StringComparison.Ordinal);
    }

    [SshdFact]
    public async Task Provisioners_run_in_order_once_items_do_not_rerun_and_an_edit_runs_again()
    {
        using var sshd = new LocalSshd();
        var marker = Path.Combine(_project.FullName, "ran.log");
        var destination = Path.Combine(_project.FullName, "etc", "app.ini");
        File.WriteAllText(Path.Combine(_project.FullName, "setup.sh"), "#!/bin/sh\necho \"setup $1 $ROLE\" >> \"$2\"\n");
        File.WriteAllText(Path.Combine(_project.FullName, "app.ini"), "[app]\nname = it's\n");
        var lab = $"""
            name: demo
            vms:
              - name: web
                box: ubuntu
                provision:
                  - shell: {"{"} path: setup.sh, args: ["it's $HOME", {marker}], env: {"{"} ROLE: web {"}"} {"}"}
                  - file: {"{"} source: app.ini, destination: {destination} {"}"}
                  - shell: {"{"} inline: "echo always >> {marker}", run: always {"}"}
                  - shell: {"{"} inline: "echo never >> {marker}", run: never {"}"}
            """;
        var project = Project(lab);
        var vm = project.Load().Lab!.Vms.Single();
        var reporter = new RecordingReporter();
        var connector = new SshNetConnector();

        for (var run = 0; run < 2; run++)
        {
            await using var session = (await connector.TryConnectAsync(sshd.Login(), CancellationToken.None))!;
            Assert.Null(await new ProvisionRunner(project, reporter).RunAsync(vm, session, CancellationToken.None));
        }
        File.WriteAllText(Path.Combine(_project.FullName, "setup.sh"), "#!/bin/sh\necho \"edited $ROLE\" >> \"$2\"\n");
        await using (var session = (await connector.TryConnectAsync(sshd.Login(), CancellationToken.None))!)
            Assert.Null(await new ProvisionRunner(project, reporter).RunAsync(vm, session, CancellationToken.None));

        Assert.Equal(["setup it's $HOME web", "always", "always", "edited web", "always"], File.ReadAllLines(marker));
        Assert.Equal("[app]\nname = it's\n", File.ReadAllText(destination));
        Assert.Contains(reporter.Lines, l => l.Line.Contains("already done (run: once)", StringComparison.Ordinal));
    }

    [SshdFact]
    public async Task The_first_failing_provisioner_stops_the_vm_and_names_its_exit_code_and_position()
    {
        using var sshd = new LocalSshd();
        var marker = Path.Combine(_project.FullName, "ran.log");
        var lab = $"""
            name: demo
            vms:
              - name: web
                box: ubuntu
                provision:
                  - shell: {"{"} inline: "echo first >> {marker}; exit 4" {"}"}
                  - shell: {"{"} inline: "echo second >> {marker}" {"}"}
            """;
        var project = Project(lab);
        var vm = project.Load().Lab!.Vms.Single();
        await using var session = (await new SshNetConnector().TryConnectAsync(sshd.Login(), CancellationToken.None))!;

        var failure = await new ProvisionRunner(project, new RecordingReporter()).RunAsync(vm, session, CancellationToken.None);

        Assert.Equal("provisioner vm.provision[0] shell (inline) at Labfile.yml:6:9 failed with exit code 4", failure);
        Assert.Equal(["first"], File.ReadAllLines(marker));
    }

    [SshdFact]
    public async Task A_connection_that_drops_mid_command_is_a_guest_connection_error_not_an_ssh_net_one()
    {
        using var sshd = new LocalSshd();
        await using var session = (await new SshNetConnector().TryConnectAsync(sshd.Login(), CancellationToken.None))!;

        // The session's own sshd process dies under the command, as when the guest reboots or sshd restarts.
        var ex = await Record.ExceptionAsync(() => session.RunAsync("echo started; kill -KILL $PPID; sleep 30", ReadOnlyMemory<byte>.Empty, _ => { }, _ => { }, CancellationToken.None));

        var dropped = Assert.IsType<GuestConnectionException>(ex);
        Assert.StartsWith("SSH to VM 'local' at 127.0.0.1:", dropped.Message, StringComparison.Ordinal);
        Assert.True(dropped.InnerException is Renci.SshNet.Common.SshException or System.Net.Sockets.SocketException or IOException or ObjectDisposedException, dropped.ToString());
    }

    [SshdFact]
    public async Task A_command_cancelled_while_it_runs_ends_as_a_cancellation_and_sessions_send_keepalives()
    {
        using var sshd = new LocalSshd();
        await using var session = (await new SshNetConnector().TryConnectAsync(sshd.Login(), CancellationToken.None))!;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(1));

        var ex = await Record.ExceptionAsync(() => session.RunAsync("sleep 30", ReadOnlyMemory<byte>.Empty, _ => { }, _ => { }, cancel.Token));

        // The boot timeout is a cancellation: readiness must see it as one, not as an SSH error escaping as a bug.
        Assert.IsAssignableFrom<OperationCanceledException>(ex);
        Assert.True(SshNetConnector.KeepAliveInterval > TimeSpan.Zero);
    }

    [SshdFact]
    public async Task A_refused_login_is_a_guest_connection_error_that_says_why()
    {
        using var sshd = new LocalSshd();
        var login = sshd.Login() with { User = "nobody-here" };

        var ex = await Assert.ThrowsAsync<GuestConnectionException>(() => new SshNetConnector().TryConnectAsync(login, CancellationToken.None));

        Assert.Contains("could not log in", ex.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<Renci.SshNet.Common.SshException>(ex.InnerException);
    }

    private LabProject Project(string labfile)
    {
        File.WriteAllText(Path.Combine(_project.FullName, "Labfile.yml"), labfile);
        return LabProject.Open(null, _project.FullName, _ => null, HyperVRules.Instance);
    }
}
