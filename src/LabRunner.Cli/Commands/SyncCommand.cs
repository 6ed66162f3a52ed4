using System.CommandLine;
using LabRunner.Engine;
using LabRunner.Engine.Lifecycle;
using LabRunner.Engine.Sync;

namespace LabRunner.Cli.Commands;

/// <summary><c>lab sync [VM…] [--watch]</c>: push the synced folders into the running VMs now, and with --watch at every change.</summary>
public static class SyncCommand
{
    /// <summary>What a host that boots no guests leaves to sync.</summary>
    public const string NothingToSync = "nothing to sync";

    public static Command Create(GlobalOptions global, CliEnvironment env, Services services)
    {
        var command = new Command("sync",
            "Push the Labfile's synced folders (type auto or push) into the running VMs: only what changed since the last push, " +
            "deletions inside each folder, excludes honoured. 'lab up' and 'lab reload' push them too, before the provisioners.");
        var vms = new Argument<string[]>("VM") { Description = "Only these VMs [default: all running]", Arity = ArgumentArity.ZeroOrMore };
        OptionValues.RefuseOptionsAsNames(vms);
        var watch = new Option<bool>("--watch") { Description = "Keep watching the host folders and push each change within a second, one line per push, until Ctrl+C" };
        command.Add(vms);
        command.Add(watch);
        command.SetAction(async (parse, ct) =>
        {
            var names = parse.GetValue(vms) ?? [];
            var (project, host, engine) = services.Open(parse, global, env, quiet: true);
            GuestSteps.RequireGuests(host, NothingToSync);
            if (await GuestSteps.StatusAsync(engine, env, parse, names, ct).ConfigureAwait(false) is not var (plan, chosen))
                return ExitCodes.InvalidLabfile;
            var up = GuestSteps.RunningOnly(chosen, names, env);
            // A host folder that is not there is the Labfile's problem, at its position (LAB802).
            if (GuestSteps.MissingFiles(project, Core.Diagnostics.DiagnosticCodes.SyncedFolderMissing, env, parse))
                return ExitCodes.InvalidLabfile;

            var running = plan.Vms.Where(v => up.Any(c => string.Equals(c.Name, v.Name, StringComparison.OrdinalIgnoreCase))).ToList();
            var withFolders = running.Where(v => FolderPush.PushFolders(v).Any()).ToList();
            foreach (var vm in running.Except(withFolders))
                env.Error.WriteLine($"{vm.Name}: no synced folders to push");
            if (withFolders.Count == 0) return ExitCodes.Success;

            var access = GuestSteps.Access(services, env);
            var targets = new List<SyncTarget>();
            var exit = ExitCodes.Success;
            void Failed(string vm, string why)
            {
                lock (env) env.Error.WriteLine($"lab: {vm}: {why}");
                exit = ExitCodes.HostFailure;
            }
            void Pushed(string vm, PushResult result)
            {
                lock (env) env.Stdout.WriteLine($"{vm}: {result.Line}");
            }
            try
            {
                foreach (var vm in withFolders)
                {
                    var (target, error) = await LabSync.OpenAsync(project, plan, vm, host.Provider, access, ct).ConfigureAwait(false);
                    if (target is null) Failed(vm.Name, error!);
                    else targets.Add(target);
                }
                var sync = new LabSync(project, services.Time);
                await sync.PushAsync(targets, Pushed, Failed, quietWhenUnchanged: false, ct).ConfigureAwait(false);
                if (!parse.GetValue(watch) || targets.Count == 0) return exit;
                var watched = string.Join(", ", withFolders.SelectMany(FolderPush.PushFolders).Select(f => f.HostPath).Distinct(StringComparer.Ordinal));
                try
                {
                    await sync.WatchAsync(targets, Pushed, Failed, () => env.Error.WriteLine($"Watching {watched} (Ctrl+C to stop)"), ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    // Ctrl+C is how --watch ends.
                }
                return exit;
            }
            finally
            {
                foreach (var t in targets) await t.DisposeAsync().ConfigureAwait(false);
            }
        });
        return command;
    }
}
