// The Vulkan driver list `auto` reads to keep software drivers (lavapipe, SwiftShader) away from
// onnx-webgpu, on manifests written to a temporary directory.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keepSoftwareVulkanAway, vulkanDrivers } from '../../src/engine/vulkan-drivers.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'stylize-vulkan-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Writes manifests into `<root>/<dir>/vulkan/icd.d/` and returns that data directory. */
function dataDir(dir: string, libraries: Record<string, string>): string {
  const icd = path.join(root, dir, 'vulkan/icd.d');
  mkdirSync(icd, { recursive: true });
  for (const [file, library] of Object.entries(libraries)) {
    writeFileSync(path.join(icd, file), JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: library, api_version: '1.4.305' } }));
  }
  return path.join(root, dir);
}

const mesa = dataDir('mesa', { 'lvp_icd.json': 'libvulkan_lvp.so', 'radeon_icd.json': 'libvulkan_radeon.so', 'intel_icd.json': '/usr/lib/x86_64-linux-gnu/libvulkan_intel.so' });
const lavapipeOnly = dataDir('lavapipe', { 'lvp_icd.x86_64.json': '/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so' });
const swiftshader = dataDir('swiftshader', { 'vk_swiftshader_icd.json': './libvk_swiftshader.so' });
const nvidia = dataDir('nvidia', { 'nvidia_icd.json': 'libGLX_nvidia.so.0', 'broken.json': '{' });
writeFileSync(path.join(nvidia, 'vulkan/icd.d/broken.json'), '{ not json');

/** A search confined to the temporary directory, in `env` itself (so the tests see what is changed). */
function search(env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; home: string; sysconfDirs: string[] } {
  env.XDG_CONFIG_DIRS ??= path.join(root, 'none');
  return { env, home: path.join(root, 'home'), sysconfDirs: [] };
}

describe('Vulkan drivers', () => {
  it('lists the manifests of the data directories and tells software drivers by their library', () => {
    const drivers = vulkanDrivers(search({ XDG_DATA_DIRS: `${mesa}:${nvidia}` }));
    expect(drivers.map((d) => [path.basename(d.manifest), d.software])).toEqual([
      ['intel_icd.json', false],
      ['lvp_icd.json', true],
      ['radeon_icd.json', false],
      ['nvidia_icd.json', false],
    ]);
    expect(vulkanDrivers(search({ XDG_DATA_DIRS: swiftshader }))[0].software).toBe(true);
  });

  it('VK_DRIVER_FILES (or VK_ICD_FILENAMES) replaces the search; VK_ADD_DRIVER_FILES adds to it', () => {
    const lvp = path.join(mesa, 'vulkan/icd.d/lvp_icd.json');
    const nv = path.join(nvidia, 'vulkan/icd.d/nvidia_icd.json');
    expect(vulkanDrivers(search({ XDG_DATA_DIRS: mesa, VK_DRIVER_FILES: lvp })).map((d) => d.manifest)).toEqual([lvp]);
    expect(vulkanDrivers(search({ XDG_DATA_DIRS: mesa, VK_ICD_FILENAMES: `${lvp}:${nv}` })).map((d) => d.manifest)).toEqual([lvp, nv]);
    expect(vulkanDrivers(search({ XDG_DATA_DIRS: lavapipeOnly, VK_ADD_DRIVER_FILES: nv })).map((d) => path.basename(d.manifest))).toEqual(['lvp_icd.x86_64.json', 'nvidia_icd.json']);
  });

  it('auto: with only software drivers, a reason to skip onnx-webgpu, and the environment untouched', () => {
    const env: NodeJS.ProcessEnv = { XDG_DATA_DIRS: `${lavapipeOnly}:${swiftshader}` };
    expect(keepSoftwareVulkanAway(search(env))).toBe('only a software Vulkan driver is installed (libvulkan_lvp.so, libvk_swiftshader.so): slower than onnx-cpu');
    expect(env.VK_DRIVER_FILES).toBeUndefined();
  });

  it('auto: with GPU drivers beside lavapipe, the loader is pointed at the GPU ones only', () => {
    const s = search({ XDG_DATA_DIRS: `${mesa}:${nvidia}`, VK_ADD_DRIVER_FILES: path.join(lavapipeOnly, 'vulkan/icd.d/lvp_icd.x86_64.json') });
    expect(keepSoftwareVulkanAway(s)).toBeUndefined();
    const files = ['intel_icd.json', 'radeon_icd.json'].map((f) => path.join(mesa, 'vulkan/icd.d', f)).concat(path.join(nvidia, 'vulkan/icd.d/nvidia_icd.json'));
    expect(s.env.VK_DRIVER_FILES).toBe(files.join(':'));
    expect(s.env.VK_ICD_FILENAMES).toBe(files.join(':'));
    expect(s.env.VK_ADD_DRIVER_FILES).toBeUndefined();
    expect(vulkanDrivers(s).every((d) => !d.software)).toBe(true);
  });

  it('auto: no software driver, or no manifest found at all: nothing to say, nothing changed', () => {
    for (const env of [{ XDG_DATA_DIRS: nvidia }, { XDG_DATA_DIRS: path.join(root, 'empty') }] as NodeJS.ProcessEnv[]) {
      expect(keepSoftwareVulkanAway(search(env))).toBeUndefined();
      expect(env.VK_DRIVER_FILES).toBeUndefined();
    }
  });
});
