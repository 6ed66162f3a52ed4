global using LabRunner.Tests.Shared;
