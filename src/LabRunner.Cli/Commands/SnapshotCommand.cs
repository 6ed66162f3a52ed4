using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LabRunner.Cli.Rendering;
using LabRunner.Core.Net;
using LabRunner.Engine;
using LabRunner.Engine.Snapshots;
using Spectre.Console;

namespace LabRunner.Cli.Commands;

/// <summary>
/// <c>lab snapshot save|restore|list|delete|push|pop</c>: snapshots of the whole lab at one moment, through the
/// Engine's <see cref="LabSnapshots"/>. Thin: parse, call, render.
/// </summary>
public static class SnapshotCommand
{
    public static Command Create(GlobalOptions global, CliEnvironment env, Services services)
    {
        var command = new Command("snapshot",
            "Snapshots of the whole lab: its VMs at one moment (running VMs are paused together, saved, resumed), with the project state that goes with them.");
        command.Add(Save(global, env, services));
        command.Add(Restore(global, env, services));
        command.Add(List(global, env, services));
        command.Add(Delete(global, env, services));
        command.Add(Push(global, env, services));
        command.Add(Pop(global, env, services));
        return command;
    }

    private static Command Save(GlobalOptions global, CliEnvironment env, Services services)
    {
        var command = new Command("save",
            "Take snapshot NAME of every VM of the lab (or the named ones): running VMs are paused together, each VM is saved (with its memory when it runs), " +
            "then every paused VM is resumed. Stopped VMs are saved as they are. A save that fails on one VM keeps nothing of NAME.");
        var name = NameArgument(SnapshotName.SaveProblem);
        var vms = VmArgument("Only these VMs [default: every VM of the lab that exists]");
        command.Add(name);
        command.Add(vms);
        command.SetAction(async (parse, ct) =>
        {
            var (json, snapshots) = Open(parse, global, env, services);
            var outcome = await snapshots.SaveAsync(parse.GetValue(name)!, parse.GetValue(vms) ?? [], ct).ConfigureAwait(false);
            return RenderSave(parse, env, json, "snapshot save", outcome);
        });
        return command;
    }

    private static Command Push(GlobalOptions global, CliEnvironment env, Services services)
    {
        var command = new Command("push",
            "Take a snapshot of every VM of the lab and put it on the lab's snapshot stack, under the stack's next name (push-1, push-2, …).");
        command.SetAction(async (parse, ct) =>
        {
            var (json, snapshots) = Open(parse, global, env, services);
            var outcome = await snapshots.PushAsync(ct).ConfigureAwait(false);
            return RenderSave(parse, env, json, "snapshot push", outcome);
        });
        return command;
    }

    private static Command Restore(GlobalOptions global, CliEnvironment env, Services services)
    {
        var command = new Command("restore",
            "Put every VM of the lab (or the named ones) back to snapshot NAME, with the project state taken with it: VMs that ran come back running " +
            "(with their memory, or started), stopped ones stay stopped, and the running ones are waited for as 'lab up' waits. " +
            "When a VM of the lab has no snapshot NAME (it was added later), nothing is changed unless the VMs to restore are named.");
        var name = NameArgument(SnapshotName.Problem);
        var vms = VmArgument("Only these VMs [default: every VM of the lab; each must have snapshot NAME]");
        var noWait = NoWaitOption();
        command.Add(name);
        command.Add(vms);
        command.Add(noWait);
        command.SetAction(async (parse, ct) =>
        {
            var (json, snapshots) = Open(parse, global, env, services);
            var outcome = await snapshots.RestoreAsync(parse.GetValue(name)!, parse.GetValue(vms) ?? [], Guests(parse, noWait, env, services, json), ct).ConfigureAwait(false);
            return RenderRestore(parse, env, json, "snapshot restore", outcome);
        });
        return command;
    }

    private static Command Pop(GlobalOptions global, CliEnvironment env, Services services)
    {
        var command = new Command("pop", "Restore the snapshot on top of the lab's snapshot stack (as 'lab snapshot restore' does), then delete it.");
        var noWait = NoWaitOption();
        command.Add(noWait);
        command.SetAction(async (parse, ct) =>
        {
            var (json, snapshots) = Open(parse, global, env, services);
            var outcome = await snapshots.PopAsync(Guests(parse, noWait, env, services, json), ct).ConfigureAwait(false);
            return RenderRestore(parse, env, json, "snapshot pop", outcome);
        });
        return command;
    }

    private static Command Delete(GlobalOptions global, CliEnvironment env, Services services)
    {
        var command = new Command("delete", "Delete snapshot NAME of every VM that has it, and its record (and its place on the stack). The VMs as they are now are unchanged.");
        var name = NameArgument(SnapshotName.Problem);
        command.Add(name);
        command.SetAction(async (parse, ct) =>
        {
            var (json, snapshots) = Open(parse, global, env, services);
            var outcome = await snapshots.DeleteAsync(parse.GetValue(name)!, ct).ConfigureAwait(false);
            if (DiagnosticPrinter.Failed(outcome.Diagnostics, outcome.Result, env, parse)) return ExitCodes.InvalidLabfile;
            var deleted = outcome.Result;
            if (json)
            {
                Json.Emit(env, "snapshot delete", "done", ExitCodes.Success, null, outcome.Diagnostics, w =>
                {
                    w.WriteString("snapshot", deleted.Name);
                    w.WriteStartArray("vms");
                    foreach (var vm in deleted.Vms) w.WriteStringValue(vm);
                    w.WriteEndArray();
                });
                return ExitCodes.Success;
            }
            env.Stdout.WriteLine($"Snapshot '{deleted.Name}' deleted{(deleted.Vms.IsEmpty ? " (the host had it on no VM any more)" : $" from {string.Join(", ", deleted.Vms)}")}.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command List(GlobalOptions global, CliEnvironment env, Services services)
    {
        var command = new Command("list", "List the lab's snapshots, oldest first: name, when taken, which VMs (with memory or disk only), type, size on disk; and the push stack.");
        command.SetAction(async (parse, ct) =>
        {
            var (json, snapshots) = Open(parse, global, env, services);
            var outcome = await snapshots.ListAsync(ct).ConfigureAwait(false);
            if (DiagnosticPrinter.Failed(outcome.Diagnostics, outcome.Result, env, parse)) return ExitCodes.InvalidLabfile;
            var list = outcome.Result;
            if (json)
            {
                Json.Emit(env, "snapshot list", "ok", ExitCodes.Success, null, outcome.Diagnostics, w => WriteList(w, list));
                return ExitCodes.Success;
            }
            if (list.Snapshots.IsEmpty)
            {
                env.Stdout.WriteLine("The lab has no snapshots; 'lab snapshot save NAME' takes one.");
                return ExitCodes.Success;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumns("Name", "Taken (UTC)", "VMs", "Type", "Size");
            foreach (var s in list.Snapshots)
            {
                var vms = string.Join(", ", s.Vms.Select(v => $"{v.Vm} ({(v.OnHost ? v.WithMemory ? "memory" : "disk" : "gone from the host")})"));
                var types = string.Join(", ", s.Vms.Select(v => v.Type).Distinct(StringComparer.Ordinal));
                table.AddRow(Markup.Escape(s.Name + (s.Recorded ? "" : " (no record)")), Taken(s.Created), Markup.Escape(vms), Markup.Escape(types),
                    s.SizeBytes is { } size ? ByteSize.Format(size) : "-");
            }
            env.Out.Write(table);
            if (!list.Stack.IsEmpty) env.Stdout.WriteLine($"Stack (top last): {string.Join(", ", list.Stack)}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static (bool Json, LabSnapshots Snapshots) Open(ParseResult parse, GlobalOptions global, CliEnvironment env, Services services)
    {
        var json = parse.GetValue(global.Json);
        var (_, _, engine) = services.Open(parse, global, env, quiet: json);
        return (json, new LabSnapshots(engine, services.Time));
    }

    private static SnapshotGuests? Guests(ParseResult parse, Option<bool> noWait, CliEnvironment env, Services services, bool json) =>
        parse.GetValue(noWait) ? null : new SnapshotGuests(GuestSteps.Access(services, env), new LifecycleView(env, services.Time, quiet: json, liveHost: false));

    private static int RenderSave(ParseResult parse, CliEnvironment env, bool json, string command, SnapshotOutcome<SnapshotSaveResult> outcome)
    {
        if (DiagnosticPrinter.Failed(outcome.Diagnostics, outcome.Result, env, parse)) return ExitCodes.InvalidLabfile;
        var saved = outcome.Result;
        var s = saved.Snapshot;
        if (json)
        {
            Json.Emit(env, command, "done", ExitCodes.Success, null, outcome.Diagnostics, w =>
            {
                w.WriteString("snapshot", s.Name);
                w.WriteString("taken_at", Time(s.Created));
                w.WriteStartArray("vms");
                foreach (var vm in s.Vms)
                {
                    w.WriteStartObject();
                    w.WriteString("name", vm.Name);
                    w.WriteBoolean("was_running", vm.WasRunning);
                    w.WriteBoolean("with_memory", vm.WithMemory);
                    w.WriteString("snapshot_type", vm.Requested);
                    w.WriteString("type", vm.Type);
                    WriteSize(w, vm.SizeBytes);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteStartArray("not_created");
                foreach (var vm in saved.NotCreated) w.WriteStringValue(vm);
                w.WriteEndArray();
                WriteSeconds(w, "pause_window_s", saved.PauseWindow);
                WriteSeconds(w, "elapsed_s", saved.Elapsed);
            });
            return ExitCodes.Success;
        }
        var paused = saved.PauseWindow is { } window ? $"; the running VMs were paused for {Seconds(window)}" : "";
        env.Stdout.WriteLine($"Snapshot '{s.Name}' saved in {Seconds(saved.Elapsed)}: " +
            $"{string.Join(", ", s.Vms.Select(v => $"{v.Name} ({(v.WithMemory ? "with memory" : "disk only")})"))}{paused}.");
        return ExitCodes.Success;
    }

    private static int RenderRestore(ParseResult parse, CliEnvironment env, bool json, string command, SnapshotOutcome<SnapshotRestoreResult> outcome)
    {
        if (DiagnosticPrinter.Failed(outcome.Diagnostics, outcome.Result, env, parse)) return ExitCodes.InvalidLabfile;
        var restored = outcome.Result;
        var guestExit = GuestSteps.Report(env, json, restored.Guests);
        if (json)
        {
            Json.Emit(env, command, guestExit == ExitCodes.Success ? "done" : "host_failure", guestExit,
                guestExit == ExitCodes.Success ? null : "a restored VM did not become ready", outcome.Diagnostics, w =>
            {
                w.WriteString("snapshot", restored.Name);
                w.WriteBoolean("state_restored", restored.StateRestored);
                w.WriteBoolean("deleted", restored.Deleted);
                w.WriteStartArray("vms");
                foreach (var vm in restored.Vms)
                {
                    w.WriteStartObject();
                    w.WriteString("name", vm.Vm);
                    w.WriteBoolean("with_memory", vm.WithMemory);
                    w.WriteString("state", vm.Running ? "running" : "off");
                    w.WriteBoolean("started", vm.Started);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                GuestSteps.WriteJson(w, restored.Guests.Outcomes);
            });
            return guestExit;
        }
        env.Stdout.WriteLine($"Snapshot '{restored.Name}' restored: " +
            $"{string.Join(", ", restored.Vms.Select(v => $"{v.Vm} ({(v.Running ? "running" : "off")})"))}" +
            (restored.Deleted ? $", and deleted from the stack." : "."));
        return guestExit;
    }

    private static void WriteList(Utf8JsonWriter w, SnapshotListResult list)
    {
        w.WriteStartArray("snapshots");
        foreach (var s in list.Snapshots)
        {
            w.WriteStartObject();
            w.WriteString("name", s.Name);
            w.WriteStringOrNull("taken_at", s.Created is { } c ? Time(c) : null);
            w.WriteBoolean("recorded", s.Recorded);
            w.WriteBoolean("pushed", s.Pushed);
            WriteSize(w, s.SizeBytes);
            w.WriteStartArray("vms");
            foreach (var vm in s.Vms)
            {
                w.WriteStartObject();
                w.WriteString("name", vm.Vm);
                w.WriteBoolean("on_host", vm.OnHost);
                w.WriteBoolean("with_memory", vm.WithMemory);
                w.WriteString("type", vm.Type);
                WriteSize(w, vm.SizeBytes);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("stack");
        foreach (var name in list.Stack) w.WriteStringValue(name);
        w.WriteEndArray();
    }

    private static Argument<string> NameArgument(Func<string, string?> problem)
    {
        var argument = new Argument<string>("NAME") { Description = "The snapshot's name: letters, digits, '-' and '_' (push-N names are the stack's)" };
        OptionValues.RefuseOptionsAsNames(argument);
        argument.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && problem(result.Tokens[0].Value) is { } why) result.AddError(why);
        });
        return argument;
    }

    private static Argument<string[]> VmArgument(string description)
    {
        var argument = new Argument<string[]>("VM") { Description = description, Arity = ArgumentArity.ZeroOrMore };
        OptionValues.RefuseOptionsAsNames(argument);
        return argument;
    }

    private static Option<bool> NoWaitOption() => new("--no-wait") { Description = "Return right after the VMs are restored, without waiting for the running ones to be ready" };

    private static void WriteSize(Utf8JsonWriter w, long? bytes)
    {
        if (bytes is { } b) w.WriteNumber("size_bytes", b);
        else w.WriteNull("size_bytes");
    }

    private static void WriteSeconds(Utf8JsonWriter w, string name, TimeSpan? value)
    {
        if (value is { } v) w.WriteNumber(name, Math.Round(v.TotalSeconds, 3));
        else w.WriteNull(name);
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";

    private static string Time(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string Taken(DateTimeOffset? t) => t is { } v ? v.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "-";
}
