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
            "Log in to a VM with the system's OpenSSH client, or run a command there (lab ssh VM -- COMMAND…, or lab ssh VM -c 'COMMAND LINE' as with Vagrant) " +
            "and exit with its exit code; 255 when the VM cannot be reached. " +
            "Host keys are checked against the key LabRunner gave the VM: a changed key is an error. With one VM in the lab, VM may be left out.");
        var words = new Argument<string[]>("VM") { Description = "The VM [default: the lab's only VM]; after '--', the command to run and its arguments", Arity = ArgumentArity.ZeroOrMore };
        var tty = new Option<bool>("--tty", "-t") { Description = "Give a command a terminal (for programs that need one, such as top or sudo prompts)" };
        var line = new Option<string?>("--command", "-c")
        {
            Description = "Run this command line in the guest's shell, as 'vagrant ssh -c' does (instead of the words after '--')",
            HelpName = "CMD",
        };
        command.Add(words);
        command.Add(tty);
        command.Add(line);
        command.SetAction(async (parse, ct) =>
        {
            var (name, remote) = Split(parse, words);
            var commandLine = parse.GetValue(line);
            if (commandLine is not null && remote.Count > 0)
                throw new UsageException("give the command either with -c or after '--', not both");
            if (commandLine is { Length: 0 })
                throw new UsageException("-c needs a command line, e.g. lab ssh VM -c 'uname -a'");
            var (project, host, engine) = services.Open(parse, global, env, quiet: true);
            GuestSteps.RequireGuests(host, "no VM to log in to");
            if (await GuestSteps.StatusAsync(engine, env, parse, name is null ? [] : [name], ct).ConfigureAwait(false) is not var (plan, chosen))
                return ExitCodes.InvalidLabfile;
            if (name is null && chosen.Length != 1)
                throw new UsageException($"the lab has {chosen.Length} VMs ({string.Join(", ", chosen.Select(v => v.Name))}); name one: lab ssh VM");
            var vm = chosen[0];
            var planned = plan.Vms.First(v => v.Name == vm.Name);
            if (vm.State != LabVmState.Running)
                throw new UsageException($"VM '{vm.Name}' is {vm.State.Words()}; 'lab up {vm.Name}' starts it");
            var direct = planned.Os == Core.Labfile.GuestOs.Windows ? host.Provider.Capability<Core.Hosting.IDirectGuestAccess>() : null;
            var (target, why) = GuestAccessFiles.Target(project.StateDirectory, planned, HostKeys.Load(project.StateDirectory, plan.Lab, planned.Name)?.PublicKey);
            if (target is null)
                throw new UsageException($"VM '{vm.Name}' is not reachable from the host: {why}{(direct is not null ? "; " + DirectHint(direct, planned) : "")}");
            GuestAccessFiles.WriteKnownHosts(project.StateDirectory, plan);
            // Nothing answering (a VM still booting, an address not routed from here): say so at once, naming the VM and address.
            // With a shared connection in place the guest answered a moment ago and ssh needs no connection of its own: no probe
            // (each one costs the guest a fork of sshd).
            var probe = new GuestLogin(vm.Name, target.Address, target.Port, target.User, PrivateKeyPem: "", HostPublicKey: null);
            var shared = target.ControlPath is { } control && File.Exists(control);
            if (!shared && !await services.GuestConnector.PortAnswersAsync(probe, ct).ConfigureAwait(false))
                return NoAnswer(env, target, direct is null ? null : DirectHint(direct, planned));
            var arguments = commandLine is null ? OpenSsh.Arguments(target, remote, parse.GetValue(tty)) : OpenSsh.Arguments(target, commandLine, parse.GetValue(tty));
            var code = await services.Exec("ssh", arguments, env, ct).ConfigureAwait(false);
            // 255 is ssh's own failure (no connection, key refused), but also what a remote command may exit with: only
            // when the port no longer answers is it LabRunner's to explain. Otherwise ssh said what went wrong, or the command did.
            if (code == OpenSsh.FailedExitCode && !await services.GuestConnector.PortAnswersAsync(probe, ct).ConfigureAwait(false))
                return NoAnswer(env, target, direct is null ? null : DirectHint(direct, planned));
            // As when the guest runs no OpenSSH Server.
            if (code == OpenSsh.FailedExitCode && direct is not null) env.Error.WriteLine("lab: " + DirectHint(direct, planned));
            return code;
        });
        return command;
    }

    /// <summary>The VM's SSH port does not answer: what to do, and ssh's own exit code for it.</summary>
    private static int NoAnswer(CliEnvironment env, SshTarget target, string? directHint)
    {
        env.Error.WriteLine($"lab: VM '{target.Vm}' does not answer at {target.Address}:{target.Port} (no SSH connection within {SshNetConnector.AttemptTimeout.TotalSeconds:0} s); " +
                            $"it may still be booting, or be unreachable from here: 'lab status' shows its state, 'lab up {target.Vm}' waits until it is ready");
        if (directHint is not null) env.Error.WriteLine("lab: " + directHint);
        return OpenSsh.FailedExitCode;
    }

    /// <summary>
    /// How to reach a Windows guest without SSH where the provider has a way in without a network (Hyper-V: PowerShell
    /// Direct), as the Administrator whose password is LABRUNNER_ADMIN_PASSWORD.
    /// </summary>
    internal static string DirectHint(Core.Hosting.IDirectGuestAccess access, Core.Planning.VmPlan vm) =>
        $"on a Windows guest without OpenSSH Server, use {access.ManualAccess(vm.HostVmName, DirectGuests.User)} " +
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
