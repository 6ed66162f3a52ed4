using LabRunner.Core.Hosting;
using LabRunner.Providers.HyperV.Cim;
using LabRunner.Simulation;

namespace LabRunner.HyperV.Emulation.Cim;

/// <summary>
/// MSFT_SmbShare (root/Microsoft/Windows/SMB), MSFT_NetFirewallRule (root/StandardCimv2) and Win32_UserAccount
/// (root/cimv2) of the simulated host, with their documented properties; the WQL conditions are not applied (the
/// interface's default), so the mapper's own filtering is exercised.
/// </summary>
public sealed partial class SimulatedCimClient
{
    private static readonly (string Namespace, string ClassName)[] ShareClasses =
        [(CimClasses.Smb, CimClasses.SmbShare), (CimClasses.StandardCimv2, CimClasses.NetFirewallRule), (CimClasses.Cimv2, CimClasses.UserAccount)];

    private static string? ShareClass(string ns, string className) => ShareClasses
        .FirstOrDefault(c => string.Equals(c.Namespace, ns, StringComparison.OrdinalIgnoreCase) && string.Equals(c.ClassName, className, StringComparison.OrdinalIgnoreCase))
        .ClassName;

    private Task<IReadOnlyList<CimRecord>> QuerySharesAsync(string @namespace, string className, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _queries);
        return Task.Run<IReadOnlyList<CimRecord>>(() =>
        {
            try
            {
                return _host.Read(m => ShareRecords(m, className));
            }
            catch (HostUnavailableException e)
            {
                throw new CimQueryException(CimFailure.ServiceUnavailable, @namespace, className, e.Message, e);
            }
        }, cancellationToken);
    }

    private static IReadOnlyList<CimRecord> ShareRecords(HostModel m, string className) => className switch
    {
        CimClasses.SmbShare =>
        [
            // Windows' own special shares are always there; the inventory must leave them out.
            Record(className, ("Name", "C$"), ("Path", @"C:\"), ("Description", "Default share"), ("Special", true), ("ScopeName", "*")),
            Record(className, ("Name", "IPC$"), ("Path", ""), ("Description", "Remote IPC"), ("Special", true), ("ScopeName", "*")),
            .. m.State.SmbShares.Select(s => Record(className, ("Name", s.Name), ("Path", s.Path), ("Description", s.Description), ("Special", false), ("ScopeName", "*"))),
        ],
        CimClasses.NetFirewallRule => [.. m.State.FirewallRules.Select(r => Record(className,
            ("InstanceID", r.Name), ("ElementName", r.DisplayName), ("DisplayName", r.DisplayName), ("Description", r.Description),
            ("Direction", (ushort)(r.Direction == "Outbound" ? 2 : 1)), ("Action", (ushort)(r.Action == "Block" ? 4 : 2)), ("PolicyStoreSourceType", (ushort)1)))],
        _ =>
        [
            .. m.State.LocalUsers.Select(u => Record(className, ("Name", u.Name), ("FullName", u.FullName), ("Description", u.Description),
                ("LocalAccount", true), ("Domain", m.State.ComputerName), ("SID", u.Sid))),
        ],
    };

    private static CimRecord Record(string className, params (string Name, object? Value)[] properties) =>
        new(className, properties.ToDictionary(p => p.Name, p => p.Value, StringComparer.OrdinalIgnoreCase));
}
