import { hostname } from 'node:os';

/** This process among a Function App's instances (an instance's host name is its own): whose logs to read. */
export const instanceName = `${hostname()}:${process.pid}`;
