using System.Text.Json;
using LabRunner.Cli.Commands;
using LabRunner.Core.Providers;
using LabRunner.Core.Reconciliation;
using LabRunner.Engine;

namespace LabRunner.Cli.Rendering;

/// <summary>Turns an engine run into what the user reads, and the documented exit code.</summary>
public static class EngineResultRenderer
{
    /// <param name="guests">With --json after 'up' or 'reload' waited for the guests: each VM's readiness (the "guests" array).</param>
    /// <param name="guestExit">With <paramref name="guests"/>: the exit code of the guest wait, which is the command's when the host part succeeded.</param>
    /// <param name="targets">The VMs named on the command line (empty: all), for the VMs an idle run lists as having nothing to do.</param>
    public static int Render(EngineResult result, ReconcileMode mode, ProviderHost host, CliEnvironment env, bool json,
        System.Collections.Immutable.ImmutableArray<Engine.Guests.GuestOutcome>? guests = null, int guestExit = ExitCodes.Success, IReadOnlySet<string>? targets = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(env);
        var verb = mode.ToString().ToLowerInvariant();
        DiagnosticPrinter.Print(result.Diagnostics, env.Error);
        var exit = ExitCode(result.Outcome);
        if (json)
        {
            var message = Message(result, mode, host, targets);
            if (exit == ExitCodes.Success && guestExit != ExitCodes.Success)
            {
                exit = guestExit;
                message += " Not every guest is ready: see 'guests'.";
            }
            Json.Emit(env, verb, OutcomeName(result.Outcome), exit, message, result.Diagnostics, w => WriteJson(w, result, host, guests, targets));
            return exit;
        }

        var r = result.Reconciliation;
        switch (result.Outcome)
        {
            case EngineOutcome.InvalidLabfile:
                env.Error.WriteLine(Summary.Errors(result.Diagnostics));
                break;
            case EngineOutcome.Conflict:
                env.Error.WriteLine($"lab {verb}: stopped before changing anything:");
                foreach (var c in r!.Conflicts) env.Error.WriteLine($"  - {c.Message}");
                break;
            case EngineOutcome.WhatIf:
                WriteWhatIf(result, host, env, verb);
                break;
            case EngineOutcome.NothingToDo when r!.Pending.Length > 0:
                // One statement, not "as the Labfile says" followed by a change it is still waiting for.
                env.Stdout.WriteLine($"Nothing to do, except what waits for {string.Join(" and ", r.Pending.Select(p => $"'{p.Command}'"))} ({host.Provider.Description}):");
                foreach (var p in r.Pending)
                    env.Stdout.WriteLine($"  {p.Vm}: {string.Join("; ", p.Changes)}");
                break;
            case EngineOutcome.NothingToDo:
                env.Stdout.WriteLine(NothingToDo(result, mode, host, targets));
                break;
            case EngineOutcome.Done:
                env.Stdout.WriteLine($"Done: {Summary.Count(r!.OperationCount, "operation")} in {result.Batches.Length} batch{(result.Batches.Length == 1 ? "" : "es")} on {host.Provider.Description}.");
                break;
            case EngineOutcome.HostFailure:
                // Failures of host networking (no VM) first; each VM's own failure is in its outcome line.
                foreach (var f in result.Failures.Where(f => f.Operation.Vm is null))
                    env.Error.WriteLine($"lab {verb}: {f.Operation.Describe()} failed ({f.Error.Kind}): {f.Error.Message}");
                WriteVmOutcomes(result, env.Error, verb);
                // Not elevated or Hyper-V missing: running again changes nothing until the host is fixed as the message says.
                env.Error.WriteLine(!result.Failures.IsEmpty && result.Failures.All(f => f.Error.Kind is Core.Hosting.HostErrorKind.AccessDenied or Core.Hosting.HostErrorKind.Unavailable)
                    ? "What succeeded stays. Fix the host as said above, then run the command again."
                    : $"What succeeded stays. R{NextStep(mode)[1..]}");
                break;
            case EngineOutcome.Interrupted:
                WriteVmOutcomes(result, env.Error, verb);
                env.Error.WriteLine($"lab {verb}: interrupted. What was done stays; {NextStep(mode)}");
                break;
        }
        if (r is not null && result.Outcome is not (EngineOutcome.Conflict or EngineOutcome.InvalidLabfile))
        {
            var said = result.Outcome == EngineOutcome.NothingToDo ? r.Pending.Select(p => p.Notice).ToHashSet(StringComparer.Ordinal) : [];
            foreach (var notice in r.Notices.Where(n => !said.Contains(n))) env.Stdout.WriteLine($"Note: {notice}");
            if (!result.ForwardedPorts.IsEmpty && mode is ReconcileMode.Up or ReconcileMode.Reload && result.Outcome != EngineOutcome.WhatIf)
                PortCommand.Write(env, result.ForwardedPorts, host.Provider.Rules.ForwardedPortNote);
        }
        return exit;
    }

    /// <summary>One line per VM: done, failed at which operation with the host's message, skipped, or nothing to do.</summary>
    private static void WriteVmOutcomes(EngineResult result, TextWriter writer, string verb)
    {
        if (result.VmOutcomes.IsEmpty) return;
        writer.WriteLine($"lab {verb}: each VM:");
        foreach (var vm in result.VmOutcomes)
            writer.WriteLine($"  {vm.Vm}: {OutcomeText(vm)}");
    }

    private static string OutcomeText(VmOutcome vm) => vm.Kind switch
    {
        VmOutcomeKind.Done => "done",
        VmOutcomeKind.Failed => $"failed at '{vm.Failure!.Operation.Describe()}' ({vm.Failure.Error.Kind}): {vm.Failure.Error.Message}",
        VmOutcomeKind.Skipped => "skipped (not finished: an earlier failure or the interruption stopped it)",
        _ => "nothing to do",
    };

    private static string OutcomeName(VmOutcomeKind kind) => kind switch
    {
        VmOutcomeKind.NothingToDo => "nothing_to_do",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>What to run after a run that stopped part-way: the same command finishes it.</summary>
    private static string NextStep(ReconcileMode mode) => mode == ReconcileMode.Down
        ? "run 'lab down' again to finish removing the lab."
        : $"run 'lab {mode.ToString().ToLowerInvariant()}' again to finish, or 'lab down' to remove the lab.";

    public static int ExitCode(EngineOutcome outcome) => outcome switch
    {
        EngineOutcome.Done or EngineOutcome.NothingToDo or EngineOutcome.WhatIf => ExitCodes.Success,
        EngineOutcome.InvalidLabfile => ExitCodes.InvalidLabfile,
        EngineOutcome.Conflict => ExitCodes.Conflict,
        EngineOutcome.Interrupted => ExitCodes.Interrupted,
        _ => ExitCodes.HostFailure,
    };

    private static void WriteWhatIf(EngineResult result, ProviderHost host, CliEnvironment env, string verb)
    {
        if (result.Batches.IsEmpty)
        {
            env.Stdout.WriteLine($"lab {verb} --what-if: nothing to do.");
            return;
        }
        env.Stdout.WriteLine($"lab {verb} --what-if: {Summary.Count(result.Reconciliation!.OperationCount, "operation")} in {result.Batches.Length} batch(es); nothing was changed.");
        foreach (var batch in result.Batches)
        {
            env.Stdout.WriteLine();
            env.Stdout.WriteLine($"==> {batch.Label}");
            foreach (var op in batch.Operations)
                env.Stdout.WriteLine($"    {op.Vm ?? "host"}: {op.Describe()}");
            if (host.Provider.Preview(batch) is { } script)
            {
                env.Stdout.WriteLine($"--- {host.Provider.PreviewHeading(batch.Label)} ---");
                env.Stdout.WriteLine(script.TrimEnd());
                env.Stdout.WriteLine("--- end ---");
            }
        }
    }

    /// <summary>The JSON outcome: done, nothing_to_do, what_if, invalid_labfile, conflict, host_failure, interrupted.</summary>
    private static string OutcomeName(EngineOutcome outcome) => outcome switch
    {
        EngineOutcome.NothingToDo => "nothing_to_do",
        EngineOutcome.WhatIf => "what_if",
        EngineOutcome.InvalidLabfile => "invalid_labfile",
        EngineOutcome.HostFailure => "host_failure",
        _ => outcome.ToString().ToLowerInvariant(),
    };

    /// <summary>Nothing to do, in the words of the command: 'halt' of stopped VMs says they are already stopped.</summary>
    private static string NothingToDo(EngineResult result, ReconcileMode mode, ProviderHost host, IReadOnlySet<string>? targets)
    {
        var lab = result.Plan?.Lab;
        var state = mode switch
        {
            ReconcileMode.Down => $"lab '{lab}' is not on this host",
            ReconcileMode.Halt when targets is { Count: > 0 } => $"{(targets.Count == 1 ? "VM" : "VMs")} {string.Join(", ", targets.Order(StringComparer.Ordinal).Select(t => $"'{t}'"))} of lab '{lab}' {(targets.Count == 1 ? "is" : "are")} already stopped",
            ReconcileMode.Halt => $"the VMs of lab '{lab}' are already stopped",
            _ => $"lab '{lab}' is as the Labfile says",
        };
        return $"Nothing to do: {state} ({host.Provider.Description}).";
    }

    /// <summary>The run in one sentence, for the JSON document's <c>message</c>.</summary>
    private static string Message(EngineResult result, ReconcileMode mode, ProviderHost host, IReadOnlySet<string>? targets)
    {
        var verb = mode.ToString().ToLowerInvariant();
        var r = result.Reconciliation;
        return result.Outcome switch
        {
            EngineOutcome.InvalidLabfile => Summary.Errors(result.Diagnostics),
            EngineOutcome.Conflict => $"lab {verb}: stopped before changing anything: {string.Join("; ", r?.Conflicts.Select(c => c.Message) ?? [])}",
            EngineOutcome.WhatIf => result.Batches.IsEmpty ? $"lab {verb} --what-if: nothing to do."
                : $"lab {verb} --what-if: {Summary.Count(r!.OperationCount, "operation")} in {result.Batches.Length} batch(es); nothing was changed.",
            EngineOutcome.NothingToDo when r is { Pending.Length: > 0 } =>
                $"Nothing to do, except what waits for {string.Join(" and ", r.Pending.Select(p => $"'{p.Command}'"))} ({host.Provider.Description}).",
            EngineOutcome.NothingToDo => NothingToDo(result, mode, host, targets),
            EngineOutcome.Done => $"Done: {Summary.Count(r?.OperationCount ?? 0, "operation")} in {result.Batches.Length} batch{(result.Batches.Length == 1 ? "" : "es")} on {host.Provider.Description}.",
            EngineOutcome.Interrupted => $"lab {verb}: interrupted. What was done stays; {NextStep(mode)}",
            _ => $"lab {verb}: {Summary.Count(result.Failures.Length, "operation")} failed. What succeeded stays. R{NextStep(mode)[1..]}",
        };
    }

    private static void WriteJson(Utf8JsonWriter json, EngineResult result, ProviderHost host, System.Collections.Immutable.ImmutableArray<Engine.Guests.GuestOutcome>? guests, IReadOnlySet<string>? targets)
    {
        json.WriteString("host", host.Provider.Description);
        json.WriteStartArray("batches");
        foreach (var batch in result.Batches)
        {
            json.WriteStartObject();
            json.WriteString("label", batch.Label);
            json.WriteStartArray("operations");
            foreach (var op in batch.Operations)
            {
                json.WriteStartObject();
                json.WriteString("type", op.GetType().Name);
                json.WriteStringOrNull("vm", op.Vm);
                json.WriteString("description", op.Describe());
                json.WriteEndObject();
            }
            json.WriteEndArray();
            if (result.Outcome == EngineOutcome.WhatIf) json.WriteStringOrNull("preview", host.Provider.Preview(batch));
            json.WriteEndObject();
        }
        json.WriteEndArray();
        var r = result.Reconciliation;
        json.WriteStartArray("conflicts");
        foreach (var c in r?.Conflicts ?? []) json.WriteStringValue(c.Message);
        json.WriteEndArray();
        json.WriteStartArray("notices");
        foreach (var n in r?.Notices ?? []) json.WriteStringValue(n);
        json.WriteEndArray();
        json.WriteStartArray("failures");
        foreach (var f in result.Failures)
        {
            json.WriteStartObject();
            json.WriteString("batch", f.Batch);
            json.WriteString("operation", f.Operation.Describe());
            json.WriteString("kind", f.Error.Kind.ToString());
            json.WriteString("message", f.Error.Message);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("vm_outcomes");
        foreach (var vm in VmOutcomes(result, targets))
        {
            json.WriteStartObject();
            json.WriteString("vm", vm.Vm);
            json.WriteString("outcome", OutcomeName(vm.Kind));
            json.WriteStringOrNull("failed_operation", vm.Failure?.Operation.Describe());
            json.WriteStringOrNull("message", vm.Failure?.Error.Message);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("pending_changes");
        foreach (var p in r?.Pending ?? []) WritePending(json, p);
        json.WriteEndArray();
        // What --what-if would forward; otherwise what the host forwards once the run is over.
        json.WriteStartArray("forwarded_ports");
        foreach (var p in result.Outcome == EngineOutcome.WhatIf ? r?.Ports ?? [] : result.ForwardedPorts) PortCommand.WritePort(json, p);
        json.WriteEndArray();
        if (guests is { } waited) GuestSteps.WriteJson(json, waited);
    }

    /// <summary>Each VM's outcome; a run with nothing to do lists every VM it looked at as nothing_to_do, not none.</summary>
    private static IEnumerable<VmOutcome> VmOutcomes(EngineResult result, IReadOnlySet<string>? targets)
    {
        if (!result.VmOutcomes.IsEmpty || result.Outcome != EngineOutcome.NothingToDo || result.Plan is null) return result.VmOutcomes;
        return result.Plan.Vms.Where(v => targets is null || targets.Count == 0 || targets.Contains(v.Name, StringComparer.OrdinalIgnoreCase))
            .Select(v => new VmOutcome(v.Name, VmOutcomeKind.NothingToDo, null));
    }

    public static void WritePending(Utf8JsonWriter json, PendingChange p)
    {
        json.WriteStartObject();
        json.WriteString("vm", p.Vm);
        json.WriteStartArray("changes");
        foreach (var c in p.Changes) json.WriteStringValue(c);
        json.WriteEndArray();
        json.WriteString("command", p.Command);
        json.WriteEndObject();
    }
}
