import { describe, expect, it } from 'vitest';
import { confFactor, confMiB, podMemory } from '../../src/domain/render/memory.js';
import { memoryToMiB } from '../../src/domain/spec/quantity.js';
import { resolved } from '../support/fixtures.js';

describe('memoryToMiB (Spark byteStringAsMb)', () => {
  it.each([
    ['512m', 512],
    ['512M', 512],
    ['512mb', 512],
    ['2g', 2048],
    ['2GB', 2048],
    ['1t', 1048576],
    ['1536k', 1],
    ['1023k', 0],
  ])('%s → %i MiB', (text, mib) => expect(memoryToMiB(text)).toBe(mib));

  it.each(['2', '2 g', '2.5g', '-1g', 'g', '0g', '2x', ''])('%j is not a size', (text) => expect(memoryToMiB(text)).toBeUndefined());
});

describe('podMemory (BasicDriverFeatureStep)', () => {
  it.each([
    // memory, explicit overhead, factor, minimum → overhead, total
    [{ memoryMiB: 2048 }, 819, 2867], // the contract's example: 2g PySpark driver → 2867Mi
    [{ memoryMiB: 1024 }, 409, 1433],
    [{ memoryMiB: 512 }, 384, 896], // 0.4 × 512 = 204 < 384: the minimum wins
    [{ memoryMiB: 960 }, 384, 1344], // 0.4 × 960 = 384 exactly
    [{ memoryMiB: 961 }, 384, 1345], // 384.4 truncates to 384
    [{ memoryMiB: 4096, factor: 0.1 }, 409, 4505], // the JVM factor when the user sets it
    [{ memoryMiB: 2048, explicitOverheadMiB: 100 }, 100, 2148], // an explicit overhead is taken as is, even under 384
    [{ memoryMiB: 2048, factor: 0.1, minOverheadMiB: 512 }, 512, 2560], // Spark 4.0 spark.driver.minMemoryOverhead
    [{ memoryMiB: 8192, factor: 0.25 }, 2048, 10240],
  ])('%j → overhead %i, pod %i MiB', (inputs, overhead, total) => {
    const m = podMemory(inputs);
    expect(m.overheadMiB).toBe(overhead);
    expect(m.totalMiB).toBe(total);
  });

  it('reads conf values as Spark does', () => {
    expect(confMiB('384')).toBe(384);
    expect(confMiB('1g')).toBe(1024);
    expect(confFactor('0.4')).toBe(0.4);
    expect(confFactor('1')).toBe(1);
    expect(confFactor('1.5')).toBeNaN();
    expect(confFactor('0')).toBeNaN();
    expect(confFactor('abc')).toBeNaN();
  });
});

describe('memory in rendered jobs', () => {
  it('a 2g driver requests and is limited to 2867Mi', () => {
    const job = resolved({ driver: { memory: '2g' } });
    expect(job.driver.pod.totalMiB).toBe(2867);
  });
  it('honours driver.memoryOverhead', () => {
    expect(resolved({ driver: { memory: '2g', memoryOverhead: '1g' } }).driver.pod.totalMiB).toBe(3072);
  });
  it('spark.driver.memoryOverheadFactor wins over spark.kubernetes.memoryOverheadFactor', () => {
    const job = resolved({ driver: { memory: '4g' }, conf: { 'spark.driver.memoryOverheadFactor': '0.1', 'spark.kubernetes.memoryOverheadFactor': '0.3' } });
    expect(job.driver.pod.overheadMiB).toBe(409);
  });
  it('spark.kubernetes.memoryOverheadFactor applies when the driver factor is unset', () => {
    expect(resolved({ driver: { memory: '4g' }, conf: { 'spark.kubernetes.memoryOverheadFactor': '0.2' } }).driver.pod.overheadMiB).toBe(819);
  });
  it('spark.driver.minMemoryOverhead raises the floor', () => {
    expect(resolved({ driver: { memory: '1g' }, conf: { 'spark.driver.minMemoryOverhead': '1g' } }).driver.pod.overheadMiB).toBe(1024);
  });
});
