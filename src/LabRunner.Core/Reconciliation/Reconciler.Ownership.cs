using LabRunner.Core.Hosting;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;

namespace LabRunner.Core.Reconciliation;

/// <summary>Whose lab this is: another project folder's mark, an earlier lab name, and adoption.</summary>
public static partial class Reconciler
{
    /// <summary>Marked as this lab (by name) of another project folder: a copy, a moved folder, or an older LabRunner's random id.</summary>
    private static bool IsOtherProject(LabIdentity me, string? notes) =>
        LabIdentity.Parse(notes) is { } other && string.Equals(other.Lab, me.Lab, StringComparison.OrdinalIgnoreCase) && other.ProjectId != me.ProjectId;

    /// <summary>Marked by this project under another lab name: the Labfile's 'name:' changed.</summary>
    private static bool IsEarlierName(LabIdentity me, string? notes) =>
        LabIdentity.Parse(notes) is { } other && other.ProjectId == me.ProjectId && !string.Equals(other.Lab, me.Lab, StringComparison.Ordinal);

    private static HostInventory Adopted(HostInventory inv, LabIdentity me) => inv with
    {
        Vms = [.. inv.Vms.Select(v => IsOtherProject(me, v.Notes) ? v with { Notes = me.Mark } : v)],
        Switches = [.. inv.Switches.Select(s => IsOtherProject(me, s.Notes) ? s with { Notes = me.Mark } : s)],
    };

    private static string Objects(IEnumerable<string> vms, IEnumerable<string> switches)
    {
        var parts = new List<string>();
        if (vms.Any()) parts.Add("VMs " + string.Join(", ", vms.Select(v => $"'{v}'")));
        if (switches.Any()) parts.Add("switches " + string.Join(", ", switches.Select(s => $"'{s}'")));
        return string.Join("; ", parts);
    }

    private static Conflict? OtherProjectConflict(ReconcileRequest request, string command)
    {
        if (request.Adopt) return null;
        var inv = request.Inventory;
        var vms = inv.Vms.Where(v => IsOtherProject(request.Identity, v.Notes)).Select(v => v.Name).ToList();
        var switches = inv.Switches.Where(s => IsOtherProject(request.Identity, s.Notes)).Select(s => s.Name).ToList();
        if (vms.Count == 0 && switches.Count == 0) return null;
        var ids = inv.Vms.Select(v => v.Notes).Concat(inv.Switches.Select(s => s.Notes)).Where(n => IsOtherProject(request.Identity, n))
            .Select(n => LabIdentity.Parse(n)!.ProjectId).Distinct(StringComparer.Ordinal);
        return new Conflict(
            $"lab '{request.Identity.Lab}' is on this host ({Objects(vms, switches)}) with the mark of another project folder (project {string.Join(", ", ids)}; this folder is project {request.Identity.ProjectId}), " +
            "so LabRunner changes nothing. If this folder is a copy of that project, rename the lab in this copy ('name:' in the Labfile) to run a second one beside it. " +
            $"If this is the folder that made the lab (moved or renamed since, or the lab was made by an older LabRunner, whose project ids were random), 'lab {command} --adopt' takes the lab over.");
    }

    private static (string Names, string First, string Objects)? EarlierNames(ReconcileRequest request)
    {
        var inv = request.Inventory;
        var vms = inv.Vms.Where(v => IsEarlierName(request.Identity, v.Notes)).ToList();
        var switches = inv.Switches.Where(s => IsEarlierName(request.Identity, s.Notes)).ToList();
        if (vms.Count == 0 && switches.Count == 0) return null;
        var names = vms.Select(v => v.Notes).Concat(switches.Select(s => s.Notes)).Select(n => LabIdentity.Parse(n)!.Lab).Distinct(StringComparer.Ordinal).ToList();
        return (string.Join(", ", names.Select(n => $"'{n}'")), names[0], Objects(vms.Select(v => v.Name), switches.Select(s => s.Name)));
    }
}
