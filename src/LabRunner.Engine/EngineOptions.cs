using LabRunner.Core.Diagnostics;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;
using LabRunner.Core.Reconciliation;

namespace LabRunner.Engine;

public sealed record EngineOptions(int Parallelism, TimeSpan HaltTimeout, bool WhatIf, TimeSpan LockTimeout)
{
    /// <summary>
    /// Take over this lab's VMs and switches that carry the mark of another project folder (a moved
    /// folder, or a lab made by an older LabRunner whose project ids were random): they are marked as
    /// this project's before anything else happens.
    /// </summary>
    public bool Adopt { get; init; }

    /// <summary>For <c>down</c>: remove this project's lab under an earlier name (after 'name:' in the Labfile changed).</summary>
    public string? LabName { get; init; }

    public static EngineOptions Default { get; } = new(2, TimeSpan.FromSeconds(60), false, TimeSpan.FromMinutes(10));
}
