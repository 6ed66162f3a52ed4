using System.Text.Json;
using LabRunner.Cli.Commands;
using LabRunner.Core.Reconciliation;
using LabRunner.Engine;

namespace LabRunner.Cli.Rendering;

/// <summary>Turns an engine run into what the user reads, and the documented exit code.</summary>
public static class EngineResultRenderer
{
    public static int Render(EngineResult result, ReconcileMode mode, HostSelection host, CliEnvironment env, bool json)
    {
        var verb = mode.ToString().ToLowerInvariant();
        DiagnosticPrinter.Print(result.Diagnostics, env.Error);
        var exit = ExitCode(result.Outcome);
        if (json)
        {
            env.Stdout.WriteLine(Json.Write(w => WriteJson(w, result, verb, host)));
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
            case EngineOutcome.NothingToDo:
                env.Stdout.WriteLine($"Nothing to do: lab '{result.Plan!.Lab}' is {(mode == ReconcileMode.Down ? "not on this host" : "as the Labfile says")} ({host.Provider.Description}).");
                break;
            case EngineOutcome.Done:
                env.Stdout.WriteLine($"Done: {Summary.Count(r!.OperationCount, "operation")} in {result.Batches.Length} batch{(result.Batches.Length == 1 ? "" : "es")} on {host.Provider.Description}.");
                break;
            case EngineOutcome.HostFailure:
                foreach (var f in result.Failures)
                    env.Error.WriteLine($"lab {verb}: {f.Operation.Describe()} failed ({f.Error.Kind}): {f.Error.Message}");
                // Not elevated or Hyper-V missing: running again changes nothing until the host is fixed as the message says.
                env.Error.WriteLine(result.Failures.All(f => f.Error.Kind is Core.Hosting.HostErrorKind.AccessDenied or Core.Hosting.HostErrorKind.Unavailable)
                    ? "What succeeded stays. Fix the host as said above, then run the command again."
                    : "What succeeded stays. Run the command again to finish, or 'lab down' to remove what this lab created.");
                break;
            case EngineOutcome.Interrupted:
                env.Error.WriteLine($"lab {verb}: interrupted. What was done stays; run 'lab {verb}' again to finish, or 'lab down' to remove it.");
                break;
        }
        if (r is not null && result.Outcome is not (EngineOutcome.Conflict or EngineOutcome.InvalidLabfile))
        {
            foreach (var notice in r.Notices) env.Stdout.WriteLine($"Note: {notice}");
            if (!r.Ports.IsEmpty && mode is ReconcileMode.Up or ReconcileMode.Reload && result.Outcome != EngineOutcome.WhatIf)
                PortCommand.Write(env, r.Ports);
        }
        return exit;
    }

    public static int ExitCode(EngineOutcome outcome) => outcome switch
    {
        EngineOutcome.Done or EngineOutcome.NothingToDo or EngineOutcome.WhatIf => ExitCodes.Success,
        EngineOutcome.InvalidLabfile => ExitCodes.InvalidLabfile,
        EngineOutcome.Conflict => ExitCodes.Conflict,
        EngineOutcome.Interrupted => ExitCodes.Interrupted,
        _ => ExitCodes.HostFailure,
    };

    private static void WriteWhatIf(EngineResult result, HostSelection host, CliEnvironment env, string verb)
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
            if (host.Preview(batch) is { } script)
            {
                env.Stdout.WriteLine($"--- PowerShell for '{batch.Label}' (one process) ---");
                env.Stdout.WriteLine(script.TrimEnd());
                env.Stdout.WriteLine("--- end ---");
            }
        }
    }

    private static void WriteJson(Utf8JsonWriter json, EngineResult result, string verb, HostSelection host)
    {
        json.WriteString("command", verb);
        json.WriteString("outcome", result.Outcome.ToString().ToLowerInvariant() switch { "nothingtodo" => "nothing_to_do", "whatif" => "what_if", "invalidlabfile" => "invalid_labfile", "hostfailure" => "host_failure", var o => o });
        json.WriteString("host", host.Provider.Description);
        DiagnosticPrinter.WriteJson(json, result.Diagnostics);
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
            if (result.Outcome == EngineOutcome.WhatIf) json.WriteStringOrNull("powershell", host.Preview(batch));
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
        json.WriteStartArray("forwarded_ports");
        foreach (var p in r?.Ports ?? []) PortCommand.WritePort(json, p);
        json.WriteEndArray();
    }
}
