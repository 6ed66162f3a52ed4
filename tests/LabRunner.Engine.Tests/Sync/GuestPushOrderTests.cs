using LabRunner.Engine.Guests;
using LabRunner.Engine.Tests.Guests;
using Microsoft.Extensions.Time.Testing;

namespace LabRunner.Engine.Tests.Sync;

/// <summary>At 'up' and 'reload' a VM's push folders are pushed once it is ready and before its provisioners; a failed push fails the VM and runs none.</summary>
public sealed class GuestPushOrderTests : IDisposable
{
    private readonly TestLab _lab = new("""
        name: demo
        networks:
          - { name: back, type: private, subnet: 192.168.70.0/24 }
        vms:
          - name: web
            box: ubuntu
            networks: [{ network: back, ip: 192.168.70.10 }]
            synced_folders: [{ host: ./site, guest: /srv/app }]
            provision:
              - shell: { inline: "ls /srv/app" }
        """);

    public void Dispose() => _lab.Dispose();

    private (LabProject Project, Core.Labfile.LabDefinition Lab, Core.Planning.LabPlan Plan) Open()
    {
        Directory.CreateDirectory(Path.Combine(_lab.ProjectDirectory, "site"));
        File.WriteAllText(Path.Combine(_lab.ProjectDirectory, "site", "index.html"), "hi");
        var planned = _lab.Planned();
        File.WriteAllText(GuestAccessFiles.IdentityPath(planned.Project.StateDirectory), "a key the fake guest does not read");
        return planned;
    }

    [Fact]
    public async Task The_push_comes_after_readiness_and_before_the_provisioners()
    {
        var (project, lab, plan) = Open();
        var time = new FakeTimeProvider();
        var connector = new FakeConnector(time);
        var reporter = new RecordingReporter();

        var outcomes = await new GuestWork(project, connector, time, reporter).RunAsync(lab, plan, [new GuestRequest("web", Provision: true)], CancellationToken.None);

        var commands = connector.Session.Commands.Select(c => c.Command).ToList();
        var extract = commands.FindIndex(c => c.Contains("tar -x", StringComparison.Ordinal));
        var provision = commands.FindIndex(c => c.Contains("env --", StringComparison.Ordinal) || c.Contains("mktemp", StringComparison.Ordinal));
        Assert.Equal(Engine.Guests.GuestPhase.Ready, outcomes.Single().Phase);
        Assert.True(extract >= 0 && provision > extract, string.Join('\n', commands));
        Assert.Contains(reporter.Lines, l => l.Line.StartsWith("synced /srv/app: 1 sent", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failed_push_fails_the_vm_and_runs_no_provisioner()
    {
        var (project, lab, plan) = Open();
        var time = new FakeTimeProvider();
        var connector = new FakeConnector(time);
        connector.Session.Exit = (command, _) => command.Contains("tar -x", StringComparison.Ordinal) ? 2 : 0;

        var outcomes = await new GuestWork(project, connector, time, new RecordingReporter()).RunAsync(lab, plan, [new GuestRequest("web", Provision: true)], CancellationToken.None);

        var outcome = outcomes.Single();
        Assert.Equal(Engine.Guests.GuestPhase.Failed, outcome.Phase);
        Assert.Contains("synced folder ./site -> /srv/app: writing into the guest at /srv/app failed with exit code 2", outcome.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(connector.Session.Commands, c => c.Command.Contains("mktemp", StringComparison.Ordinal));
    }
}
