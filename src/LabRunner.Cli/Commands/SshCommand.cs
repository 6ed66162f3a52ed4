using LabRunner.Engine;
using System.CommandLine;
using System.CommandLine.Parsing;
using LabRunner.Engine.Guests;
using LabRunner.Guest.Access;

namespace LabRunner.Cli.Commands;

/// <summary>
/// <c>lab ssh [VM] [-- COMMAND…]</c>: the system's OpenSSH client, started with the lab's key and the
/// guest's pinned host key (strict checking). Its exit code is lab's; its output is not touched.
/// </summary>
public static class SshCommand
{
    public static Command Create(GlobalOptions global, CliEnvironment env, Services services)
    {
        var command = new Command("ssh",
            "Log in to a VM with the system's OpenSSH client, or run a command there (lab ssh VM -- COMMAND…) and exit with its exit code. " +
            "Host keys are checked against the key LabRunner gave the VM: a changed key is an error. With one VM in the lab, VM may be left out.");
        var words = new Argument<string[]>("VM") { Description = "The VM [default: the lab's only VM]; after '--', the command to run and its arguments", Arity = ArgumentArity.ZeroOrMore };
        var tty = new Option<bool>("--tty", "-t") { Description = "Give a command a terminal (for programs that need one, such as top or sudo prompts)" };
        command.Add(words);
        command.Add(tty);
        command.SetAction(async (parse, ct) =>
        {
            var (name, remote) = Split(parse, words);
            var (project, host, engine) = services.Open(parse, global, env, quiet: true);
            if (await GuestSteps.StatusAsync(engine, env, parse, name is null ? [] : [name], ct).ConfigureAwait(false) is not var (plan, chosen))
                return ExitCodes.InvalidLabfile;
            if (name is null && chosen.Length != 1)
                throw new UsageException($"the lab has {chosen.Length} VMs ({string.Join(", ", chosen.Select(v => v.Name))}); name one: lab ssh VM");
            var vm = chosen[0];
            var planned = plan.Vms.First(v => v.Name == vm.Name);
            if (vm.State != "running")
                throw new UsageException($"VM '{vm.Name}' is {vm.State.Replace('_', ' ')}; 'lab up {vm.Name}' starts it");
            var direct = planned.Os == Core.Labfile.GuestOs.Windows && host.Provider.DirectGuestAccess is not null;
            var (target, why) = GuestAccessFiles.Target(project.StateDirectory, planned);
            if (target is null)
                throw new UsageException($"VM '{vm.Name}' is not reachable from the host: {why}{(direct ? "; " + PowerShellDirectHint(planned) : "")}");
            GuestAccessFiles.WriteKnownHosts(project.StateDirectory, plan);
            var code = await services.Exec("ssh", OpenSsh.Arguments(target, remote, parse.GetValue(tty)), env, ct).ConfigureAwait(false);
            // 255: ssh itself failed (nothing listening, key refused), as when the guest runs no OpenSSH Server.
            if (code == 255 && direct) env.Error.WriteLine("lab: " + PowerShellDirectHint(planned));
            return code;
        });
        return command;
    }

    /// <summary>
    /// How to reach a Windows guest without SSH on Hyper-V: PowerShell Direct from an elevated PowerShell on the
    /// host, as the Administrator whose password is LABRUNNER_ADMIN_PASSWORD. The VM's name is quoted for PowerShell.
    /// </summary>
    internal static string PowerShellDirectHint(Core.Planning.VmPlan vm) =>
        "on a Windows guest without OpenSSH Server, use PowerShell Direct from an elevated PowerShell on the host: " +
        $"Enter-PSSession -VMName {Providers.HyperV.Scripting.PowerShellLiteral.Quote(vm.HostVmName)} -Credential {DirectGuests.User} " +
        $"(the password you gave lab up in {ProjectSecrets.AdminPasswordVariable})";

    /// <summary>
    /// The VM name (the word before '--', if any) and the remote command (every word after it). Only the VM argument's
    /// own tokens count before '--': an option's value (--provider qemu, -f FILE) is not a second VM.
    /// </summary>
    internal static (string? Vm, IReadOnlyList<string> Command) Split(ParseResult parse, Argument<string[]> words)
    {
        var tokens = parse.Tokens.ToList();
        var dash = tokens.FindIndex(t => t.Type == TokenType.DoubleDash);
        var after = dash < 0 ? [] : tokens.Skip(dash + 1).Select(t => t.Value).ToList();
        var mine = parse.GetResult(words)?.Tokens.Select(t => t.Value).ToList() ?? [];
        var before = mine.Take(mine.Count - after.Count).ToList();
        if (before.Count > 1)
            throw new UsageException($"lab ssh takes one VM; put the command after '--': lab ssh {before[0]} -- {string.Join(' ', before.Skip(1))}");
        return (before.FirstOrDefault(), after);
    }
}
