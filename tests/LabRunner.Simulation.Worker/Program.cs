using System.Globalization;
using LabRunner.Core.Errors;
using LabRunner.Core.Hosting;
using LabRunner.Engine;
using LabRunner.Simulation;

// A second process for tests that need two at once.
//   add-switches PREFIX COUNT — creates private switches PREFIX-0 … PREFIX-(COUNT-1), one mutating call each,
//     on the host FromEnvironment() finds. Prints one line per switch: "ok NAME" or "refused NAME: MESSAGE".
//   add-pending STATE_DIR PREFIX COUNT — records PREFIX-0 … PREFIX-(COUNT-1) as pending VMs in the project
//     state in STATE_DIR, one read-modify-write (ProjectState.Update) each.
switch (args)
{
    case ["add-switches", var prefix, var countText]:
        return AddSwitches(prefix, int.Parse(countText, CultureInfo.InvariantCulture));
    case ["add-pending", var stateDirectory, var prefix, var countText]:
        var count = int.Parse(countText, CultureInfo.InvariantCulture);
        for (var i = 0; i < count; i++)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"{prefix}-{i}");
            ProjectState.Update(stateDirectory, state =>
            {
                state.PendingVms.Add(name);
                return true;
            });
        }
        return 0;
    default:
        Console.Error.WriteLine("usage: add-switches PREFIX COUNT | add-pending STATE_DIR PREFIX COUNT");
        return 2;
}

static int AddSwitches(string prefix, int count)
{
    try
    {
        var host = SimulatedHost.FromEnvironment(Environment.GetEnvironmentVariable, Environment.CurrentDirectory);
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
    catch (LabRunnerException e)
    {
        Console.Error.WriteLine(e.Message);
        return 3;
    }
}
