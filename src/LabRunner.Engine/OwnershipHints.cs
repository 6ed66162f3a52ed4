using LabRunner.Core.Diagnostics;
using LabRunner.Core.Hosting;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;
using LabRunner.Core.Reconciliation;

namespace LabRunner.Engine;

/// <summary>What the engine says when a lab on the host carries another project folder's mark.</summary>
internal static class OwnershipHints
{
    /// <summary>
    /// When this lab's objects carry another project folder's mark, what the state file this folder
    /// carries says about where it came from: a copy of a folder that still exists, a folder that moved,
    /// or a project of an older LabRunner (random ids).
    /// </summary>
    public static string? For(LabIdentity identity, HostInventory inventory, ProjectState state, ReconcileMode mode)
    {
        var others = inventory.Vms.Select(v => v.Notes).Concat(inventory.Switches.Select(s => s.Notes))
            .Select(LabIdentity.Parse).OfType<LabIdentity>()
            .Where(o => string.Equals(o.Lab, identity.Lab, StringComparison.OrdinalIgnoreCase) && o.ProjectId != identity.ProjectId)
            .Select(o => o.ProjectId).ToHashSet(StringComparer.Ordinal);
        if (others.Count == 0) return null;
        if (state.ProjectPath is { Length: > 0 } recorded && others.Contains(ProjectIdentity.Of(recorded)))
        {
            return Directory.Exists(recorded)
                ? $"This folder looks like a copy of '{recorded}' (its .lab folder came from there), which still exists and owns lab '{identity.Lab}': use the lab from there, or rename the lab in this copy to run a second one."
                : $"This folder seems to have been moved from '{recorded}', which no longer exists. The lab's VMs still use their disks at the old place: 'lab down --adopt' removes that lab, and 'lab up' then builds it here.";
        }
        if (state.ProjectPath is null && others.Contains(state.ProjectId))
        {
            return $"This folder's .lab/state.json holds project id {state.ProjectId}, the random id an older LabRunner gave the project that made the lab: " +
                $"if this is that folder (not a copy of it), 'lab {(mode == ReconcileMode.Down ? "down" : "up")} --adopt' takes the lab over.";
        }
        return null;
    }
}
