using System.Globalization;
using LabRunner.Core.Hosting;
using LabRunner.Simulation;

// Usage: add-switches PREFIX COUNT — creates private switches PREFIX-0 … PREFIX-(COUNT-1), one mutating
// call each, on the host FromEnvironment() finds. Prints one line per switch: "ok NAME" or "refused NAME: MESSAGE".
if (args is not ["add-switches", var prefix, var countText])
{
    Console.Error.WriteLine("usage: add-switches PREFIX COUNT");
    return 2;
}
try
{
    var host = SimulatedHost.FromEnvironment();
    var count = int.Parse(countText, CultureInfo.InvariantCulture);
    for (var i = 0; i < count; i++)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"{prefix}-{i}");
        try
        {
            host.Mutate(m => m.NewSwitch(name, SwitchKind.Private, null, false, "worker"));
            Console.WriteLine($"ok {name}");
        }
        catch (SimulatedHostException e)
        {
            Console.WriteLine($"refused {name}: {e.Kind} {e.Message}");
        }
    }
    return 0;
}
catch (HostUnavailableException e)
{
    Console.Error.WriteLine(e.Message);
    return 3;
}
