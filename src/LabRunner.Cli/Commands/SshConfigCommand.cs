using System.CommandLine;
using LabRunner.Engine.Guests;
using LabRunner.Guest.Access;

namespace LabRunner.Cli.Commands;

/// <summary><c>lab ssh-config [VM…]</c>: OpenSSH Host blocks for ssh -F, scp, rsync and VS Code Remote-SSH.</summary>
public static class SshConfigCommand
{
    public static Command Create(GlobalOptions global, CliEnvironment env, Services services)
    {
        var command = new Command("ssh-config",
            "Print an OpenSSH 'Host' block per VM (address, user, the lab's key, its pinned host key in .lab/known_hosts), " +
            "for 'ssh -F FILE VM', scp, rsync and VS Code Remote-SSH.");
        var vms = new Argument<string[]>("VM") { Description = "Only these VMs [default: all]", Arity = ArgumentArity.ZeroOrMore };
        OptionValues.RefuseOptionsAsNames(vms);
        command.Add(vms);
        command.SetAction(async (parse, ct) =>
        {
            var (project, _, engine) = services.Open(parse, global, env, quiet: true);
            if (await GuestSteps.StatusAsync(engine, env, parse, parse.GetValue(vms) ?? [], ct).ConfigureAwait(false) is not var (plan, chosen))
                return ExitCodes.InvalidLabfile;
            var identity = GuestAccessFiles.IdentityPath(project.StateDirectory);
            if (!File.Exists(identity))
                throw new UsageException("the lab has no SSH key yet; 'lab up' makes it (.lab/id_ecdsa) with the VMs' seeds");
            GuestAccessFiles.WriteKnownHosts(project.StateDirectory, plan);
            var targets = new List<SshTarget>();
            foreach (var vm in chosen)
            {
                var (target, why) = GuestAccessFiles.Target(project.StateDirectory, plan.Vms.First(v => v.Name == vm.Name),
                    HostKeys.Load(project.StateDirectory, plan.Lab, vm.Name)?.PublicKey);
                if (target is null) env.Error.WriteLine($"# {vm.Name}: not reachable from the host: {why}");
                else targets.Add(target);
            }
            env.Stdout.Write(OpenSsh.Config(targets));
            return ExitCodes.Success;
        });
        return command;
    }
}
