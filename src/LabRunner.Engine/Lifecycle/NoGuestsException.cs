using LabRunner.Core.Errors;
using LabRunner.Core.Hosting;

namespace LabRunner.Engine.Lifecycle;

/// <summary>A request that needs guests on a host that boots none (the simulated host): the user asked for something this host cannot do.</summary>
public sealed class NoGuestsException(string message) : LabRunnerException(ErrorCategory.Usage, message)
{
    /// <summary>What a host that boots no guests leaves to provision.</summary>
    public const string NothingToProvision = "nothing to provision";

    /// <summary>
    /// Refuses a request that needs guests on a host that boots none, in the same words for 'provision',
    /// 'up/reload --provision' and 'ssh': "… boots no guests, so there is <paramref name="nothing"/>".
    /// </summary>
    public static void ThrowUnlessBooted(IHostProvider provider, string nothing)
    {
        ArgumentNullException.ThrowIfNull(provider);
        if (provider.Capability<IGuestBoot>() is null)
            throw new NoGuestsException($"{provider.Description} boots no guests, so there is {nothing}");
    }
}
