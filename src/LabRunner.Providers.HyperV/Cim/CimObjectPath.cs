using System.Text;

namespace LabRunner.Providers.HyperV.Cim;

/// <summary>
/// A WMI object path as Hyper-V stores it in HostResource and Parent, for example
/// <c>\\HOST\root\virtualization\v2:Msvm_VirtualEthernetSwitch.CreationClassName="Msvm_VirtualEthernetSwitch",Name="C08CB7B8-..."</c>.
/// Only what the inventory needs: the class name and the key values (quoted values unescape
/// <c>\\</c> and <c>\"</c>, as in WMI object paths).
/// </summary>
public sealed record CimObjectPath(string ClassName, IReadOnlyDictionary<string, string> Keys)
{
    public string? Key(string name) => Keys.GetValueOrDefault(name);

    public bool IsClass(string className) => string.Equals(ClassName, className, StringComparison.OrdinalIgnoreCase);

    public static CimObjectPath? Parse(string? path)
    {
        if (string.IsNullOrEmpty(path)) return null;
        var equals = path.IndexOf('=', StringComparison.Ordinal);
        if (equals < 0) return null;
        // Class and key names contain no dots; a dotted host name comes before the class.
        var dot = path.LastIndexOf('.', equals);
        if (dot < 0) return null;
        var head = path[..dot];
        var colon = head.LastIndexOf(':');
        var className = head[(colon + 1)..];
        if (className.Length == 0) return null;

        var keys = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var i = dot + 1;
        while (i < path.Length)
        {
            var eq = path.IndexOf('=', i);
            if (eq < 0) return null;
            var name = path[i..eq].Trim();
            i = eq + 1;
            string value;
            if (i < path.Length && path[i] == '"')
            {
                var sb = new StringBuilder();
                i++;
                var closed = false;
                while (i < path.Length)
                {
                    var c = path[i++];
                    if (c == '\\' && i < path.Length && path[i] is '\\' or '"') { sb.Append(path[i++]); continue; }
                    if (c == '"') { closed = true; break; }
                    sb.Append(c);
                }
                if (!closed) return null;
                value = sb.ToString();
            }
            else
            {
                var end = path.IndexOf(',', i);
                if (end < 0) end = path.Length;
                value = path[i..end].Trim();
                i = end;
            }
            keys[name] = value;
            if (i < path.Length && path[i] == ',') i++;
            else if (i < path.Length) return null;
        }
        return new CimObjectPath(className, keys);
    }
}
