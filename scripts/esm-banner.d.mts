/** The lines that give an ESM bundle the require(), __filename and __dirname its CommonJS parts call. */
export declare const banner: string;
