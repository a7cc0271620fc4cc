import { nodeResolve } from "@rollup/plugin-node-resolve";
import replace from "@rollup/plugin-replace";
import terser from "@rollup/plugin-terser";

export default {
  input: "entry.js",
  output: { file: "dist/echarts.custom.min.js", format: "umd", name: "echarts", sourcemap: false },
  plugins: [
    replace({ preventAssignment: true, values: { "process.env.NODE_ENV": JSON.stringify("production") } }),
    nodeResolve(),
    terser(),
  ],
};
