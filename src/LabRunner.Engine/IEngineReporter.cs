using LabRunner.Core.Diagnostics;
using LabRunner.Core.Hosting;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;
using LabRunner.Core.Reconciliation;

namespace LabRunner.Engine;

/// <summary>What the engine tells the person running it, as it happens.</summary>
public interface IEngineReporter
{
    void Info(string message);
    void BatchStarted(OperationBatch batch);
    void Progress(OperationProgress progress);
}
