using LabRunner.Core.Hosting;
using LabRunner.Providers.HyperV;
using LabRunner.Simulation.Model;

namespace LabRunner.Simulation;

public sealed partial class SimulatedProvider
{
    /// <summary>A synced-folder operation as the cmdlets the Hyper-V provider would run for it; false for any other operation.</summary>
    internal static bool ApplyShare(HostModel model, HostOperation operation)
    {
        switch (operation)
        {
            case CreateShareAccount op:
                model.NewLocalUser(op.Account, op.Password.Reveal(), op.FullName, op.Description);
                return true;
            case SetShareAccountPassword op:
                model.SetLocalUserPassword(model.GetLocalUser(op.Account), op.Password.Reveal());
                return true;
            case AllowShareTraffic op:
                model.NewFirewallRule(new SimFirewallRule
                {
                    Name = op.RuleName,
                    DisplayName = op.RuleName,
                    Description = op.Description,
                    Direction = "Inbound",
                    Action = "Allow",
                    Protocol = "TCP",
                    LocalPort = "445",
                    InterfaceAlias = HyperVRules.VnicName(op.SwitchName),
                    LocalAddress = op.LocalAddress.ToString(),
                    RemoteAddress = op.RemoteSubnet.ToString(),
                });
                return true;
            case CreateShare op:
                // icacls first, then New-SmbShare, as the script does.
                model.GrantFolderAccess(op.Path, op.Account);
                model.NewSmbShare(op.Name, op.Path, [op.Account], [], op.Description);
                return true;
            case RemoveShare op:
                if (model.FindSmbShare(op.Name) is { } share) model.RemoveSmbShare(share);
                if (model.FindLocalUser(op.Account) is not null && Directory.Exists(op.Path)) model.RevokeFolderAccess(op.Path, op.Account);
                return true;
            case RemoveShareTraffic op:
                if (model.FindFirewallRule(op.RuleName) is { } rule) model.RemoveFirewallRule(rule);
                return true;
            case RemoveShareAccount op:
                if (model.FindLocalUser(op.Account) is { } user) model.RemoveLocalUser(user);
                return true;
            default:
                return false;
        }
    }
}
