using System.Collections.Immutable;
using System.Runtime.Versioning;
using LabRunner.Core.Hosting;
using LabRunner.HostCommon.Files;
using LabRunner.Providers.HyperV.Cim;
using LabRunner.Providers.HyperV.Running;
using LabRunner.Providers.HyperV.Scripting;

namespace LabRunner.Providers.HyperV;

/// <summary>
/// The real Hyper-V host: reads the inventory through CIM in one round of queries and applies each
/// batch as one PowerShell script in one process (<see cref="HyperVScript"/>).
/// </summary>
public sealed class HyperVProvider : IHostProvider, IGuestBoot
{
    private readonly IPowerShellRunner _runner;
    private readonly ICimClient _cim;

    /// <param name="runner">Runs each batch's script.</param>
    /// <param name="cim">Reads the inventory.</param>
    /// <param name="hostName">For <see cref="Description"/>.</param>
    /// <param name="files">The host's files; the engine runs on the host, so by default this machine's (<see cref="LocalHostFiles"/>).</param>
    public HyperVProvider(IPowerShellRunner runner, ICimClient cim, string hostName, IHostFiles? files = null)
    {
        _runner = runner;
        _cim = cim;
        Files = files ?? LocalHostFiles.Instance;
        Description = $"Hyper-V on {hostName}";
    }

    /// <summary>
    /// The provider for this Windows machine: Windows PowerShell 5.1 (or <paramref name="options"/>) and local WMI;
    /// every batch recorded in <paramref name="trace"/>.
    /// </summary>
    [SupportedOSPlatform("windows")]
    public static HyperVProvider ForLocalHost(PowerShellRunnerOptions? options = null, Core.Tracing.IHostTrace? trace = null) =>
        new(new TracingPowerShellRunner(new CliWrapPowerShellRunner(options ?? PowerShellRunnerOptions.WindowsPowerShell), trace ?? Core.Tracing.NoHostTrace.Instance),
            new MmiCimClient(), Environment.MachineName);

    public string Description { get; }

    public HostRules Rules => HyperVRules.Instance;

    public IHostFiles Files { get; }

    /// <summary>
    /// Its guests boot (<see cref="IGuestBoot"/>); PowerShell Direct reaches Windows guests (<see cref="IDirectGuestAccess"/>) and
    /// checkpoints are taken (<see cref="ISnapshots"/>) through the same PowerShell as the batches.
    /// </summary>
    public TCapability? Capability<TCapability>() where TCapability : class =>
        typeof(TCapability) == typeof(IDirectGuestAccess) ? (TCapability)(object)new Guests.PowerShellDirect(_runner)
        : typeof(TCapability) == typeof(ISnapshots) ? (TCapability)(object)new HyperVSnapshots(_runner)
        : this as TCapability;

    /// <summary>The PowerShell script the batch runs as.</summary>
    public string? Preview(OperationBatch batch) => RenderPreview(batch);

    public string PreviewHeading(string batchLabel) => ScriptHeading(batchLabel);

    /// <summary>What <c>--what-if</c> heads a batch's script with (the simulated host shows the same script).</summary>
    public static string ScriptHeading(string batchLabel) => $"PowerShell for '{batchLabel}' (one process)";

    /// <summary>The PowerShell a batch runs as, for <c>--what-if</c> (shown for the simulated host too).</summary>
    /// <exception cref="InvalidOperationException">
    /// The batch cannot be rendered. Validation refuses every Labfile value that could cause this (LAB101 for adapter
    /// names), so reaching it is a bug: --what-if must not print it and exit 0.
    /// </exception>
    public static string RenderPreview(OperationBatch batch)
    {
        try
        {
            return HyperVScript.Render(batch);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException($"The batch '{batch?.Label}' cannot be rendered for Hyper-V: {ex.Message}", ex);
        }
    }

    public async Task<HostInventory> GetInventoryAsync(ImmutableArray<string> filesOfInterest, CancellationToken cancellationToken)
    {
        var records = new Dictionary<string, IReadOnlyList<CimRecord>>(StringComparer.OrdinalIgnoreCase);
        try
        {
            // One enumeration per class, all started together; joins happen in memory.
            var queries = CimClasses.InventoryQueries
                .Select(async q => (q.ClassName, Records: await _cim.QueryAsync(q.Namespace, q.ClassName, cancellationToken).ConfigureAwait(false)))
                .ToList();
            var shareQueries = CimClasses.ShareQueries
                .Select(async q => (q.ClassName, Records: await (q.Condition is null
                    ? _cim.QueryAsync(q.Namespace, q.ClassName, cancellationToken)
                    : _cim.QueryAsync(q.Namespace, q.ClassName, q.Condition, cancellationToken)).ConfigureAwait(false)))
                .ToList();
            foreach (var (className, result) in await Task.WhenAll(queries.Concat(shareQueries)).ConfigureAwait(false))
                records[className] = result;
        }
        catch (CimQueryException e)
        {
            throw new HostUnavailableException(HyperVErrors.FromCim(e));
        }

        var existing = filesOfInterest.IsDefaultOrEmpty ? [] : await Files.ExistingAsync(filesOfInterest, cancellationToken).ConfigureAwait(false);
        return CimShareMapper.WithShares(CimInventoryMapper.Map(records, filesOfInterest.IsDefault ? [] : filesOfInterest.Where(existing.Contains)), records);
    }

    public async Task<ApplyResult> ApplyAsync(OperationBatch batch, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var operations = batch.Operations;
        if (operations.IsDefaultOrEmpty) return ApplyResult.AllDone(0);

        string script;
        try
        {
            script = HyperVScript.Render(batch);
        }
        catch (ArgumentException e)
        {
            return ApplyResult.NothingRan(operations.Length, HyperVErrors.FromRefusedScript(e));
        }

        var statuses = new OperationStatus[operations.Length];
        var errors = new List<OperationError>();
        var stopped = false;
        // The step the script must report next: after a fail line, the failed VM's remaining steps are skipped
        // (a host networking failure ends the script). Lines for any other step are ignored, so a repeated or
        // out-of-order line changes nothing.
        var expected = 0;
        void Advance()
        {
            expected++;
            while (expected < operations.Length && errors.Any(e => batch.SkipsAfter(e.Index, expected))) expected++;
        }
        void OnLine(string line)
        {
            if (stopped || expected >= operations.Length) return;
            switch (ScriptProtocol.Parse(line))
            {
                case ProtocolEvent.Begin b when b.Step - 1 == expected:
                    progress?.Report(new OperationProgress(batch, expected, operations[expected], Done: false));
                    break;
                case ProtocolEvent.Ok ok when ok.Step - 1 == expected:
                    statuses[expected] = OperationStatus.Done;
                    progress?.Report(new OperationProgress(batch, expected, operations[expected], Done: true));
                    Advance();
                    break;
                case ProtocolEvent.Fail f when f.Step - 1 == expected:
                    statuses[expected] = OperationStatus.Failed;
                    errors.Add(new OperationError(expected, HyperVErrors.FromPowerShell(operations[expected], f.Category, f.FullyQualifiedErrorId, f.Message)));
                    stopped = operations[expected].Vm is null;
                    Advance();
                    break;
            }
        }

        PowerShellRun run;
        try
        {
            // Passwords (the share account's) reach the script on standard input, never in its text.
            run = HyperVScript.StandardInput(batch) is { } input
                ? await _runner.RunAsync(script, input, OnLine, cancellationToken).ConfigureAwait(false)
                : await _runner.RunAsync(script, OnLine, cancellationToken).ConfigureAwait(false);
        }
        catch (PowerShellStartException e)
        {
            return ApplyResult.NothingRan(operations.Length, HyperVErrors.FromStartFailure(e.Executable, e.InnerException ?? e));
        }

        // A process that ended before reporting every step it had to run: the first unreported one gets the blame.
        if (!stopped && expected < operations.Length)
            errors.Add(new OperationError(expected, HyperVErrors.FromProcessExit(_runner.Executable, run.ExitCode, run.StandardError, operations[expected])));
        return new ApplyResult([.. statuses], [.. errors.OrderBy(e => e.Index)]);
    }
}
