using LabRunner.Engine.Guests;
using LabRunner.Engine.Tests.Guests;
using LabRunner.Providers.HyperV;
using Microsoft.Extensions.Time.Testing;

namespace LabRunner.Engine.Tests.Sync;

/// <summary>At 'up' and 'reload' a VM's push folders are pushed once it is ready and before its provisioners; a failed push fails the VM and runs none.</summary>
public sealed class GuestPushOrderTests : IDisposable
{
    private readonly DirectoryInfo _project = Directory.CreateTempSubdirectory("labrunner-pushorder");

    public void Dispose() => _project.Delete(recursive: true);

    private (LabProject Project, Core.Labfile.LabDefinition Lab, Core.Planning.LabPlan Plan) Open()
    {
        File.WriteAllText(Path.Combine(_project.FullName, "Labfile.yml"), """
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
        Directory.CreateDirectory(Path.Combine(_project.FullName, "site"));
        Directory.CreateDirectory(Path.Combine(_project.FullName, "boxes"));
        File.WriteAllText(Path.Combine(_project.FullName, "boxes", "ubuntu.vhdx"), "box");
        File.WriteAllText(Path.Combine(_project.FullName, "site", "index.html"), "hi");
        var project = LabProject.Open(null, _project.FullName, _ => null, HyperVRules.Instance);
        Directory.CreateDirectory(project.StateDirectory);
        File.WriteAllText(GuestAccessFiles.IdentityPath(project.StateDirectory), "a key the fake guest does not read");
        var planned = project.Plan();
        Assert.False(planned.HasErrors, string.Join('\n', planned.Diagnostics));
        return (project, planned.Lab!, planned.Plan!);
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
